package io.streamlake.testkit;

/**
 * Entry point of the AssertJ assertions for StreamLake tables.
 *
 * <pre>{@code
 * import static io.streamlake.testkit.StreamLakeAssertions.assertThat;
 *
 * assertThat(driver.silver())
 *     .hasRowCount(2)
 *     .hasNoDuplicates("order_id")
 *     .hasRow(Map.of("order_id", "o-1", "status", "SHIPPED"));
 * }</pre>
 */
public final class StreamLakeAssertions {
    private StreamLakeAssertions() {
    }

    /**
     * @param actual table contents, from {@link PipelineTestDriver#bronze()} or {@link PipelineTestDriver#silver()}
     * @return the assertion
     */
    public static TableContentsAssert assertThat(TableContents actual) {
        return new TableContentsAssert(actual);
    }
}
