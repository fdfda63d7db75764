package io.streamlake.table;

/**
 * What a {@link Table#vacuum()} deleted.
 *
 * <pre>{@code
 * Vacuumed v = table.vacuum();
 * System.out.println(v.files() + " files, " + v.bytes() + " bytes deleted");
 * }</pre>
 *
 * @param files data files deleted
 * @param bytes their size
 */
public record Vacuumed(long files, long bytes) {
    /** Nothing deleted. */
    public static final Vacuumed NOTHING = new Vacuumed(0, 0);
}
