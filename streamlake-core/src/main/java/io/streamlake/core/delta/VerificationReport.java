package io.streamlake.core.delta;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * What {@link TableVerifier} found in one version of a Delta table: how much it read, and every
 * problem, each located as precisely as the damage allows.
 *
 * <pre>{@code
 * VerificationReport report = TableVerifier.verify("lake/bronze/orders");
 * System.out.println(report.summary());
 * for (VerificationReport.Problem p : report.problems()) {
 *     if (p.kind() == VerificationReport.Kind.UNREADABLE) {
 *         quarantine(p.file());
 *     }
 * }
 * }</pre>
 *
 * @param table where the table lives, without credentials
 * @param version the table version whose live files were checked
 * @param filesChecked the live data files of that version, every one looked at (missing ones included)
 * @param rowsChecked rows of the row groups whose every value decoded
 * @param valuesChecked column values decoded, nulls included (a map entry counts once in its key and
 *     once in its value column)
 * @param problems every problem found, in the order of the files' paths, then the problems that
 *     span files (overlapping bronze positions)
 * @param damagedPositions for a bronze table, the positions each damaged file (unreadable in part, or
 *     changed since it was committed) holds of each source partition, read from its {@code source},
 *     {@code partition} and {@code position} columns when those decoded: what to re-ingest from the
 *     source once the file is removed. A damaged file whose positions could not be read is not here;
 *     its problems quote the bounds of the Delta log's statistics instead.
 */
public record VerificationReport(
        String table,
        long version,
        long filesChecked,
        long rowsChecked,
        long valuesChecked,
        List<Problem> problems,
        List<PositionRange> damagedPositions) {

    /** Copies the lists. */
    public VerificationReport {
        Objects.requireNonNull(table, "table");
        problems = List.copyOf(problems);
        damagedPositions = List.copyOf(damagedPositions);
    }

    /** What is wrong with a file. */
    public enum Kind {
        /**
         * The file cannot be read, or a value in it cannot be decoded: a bad footer, a bad page header,
         * a page that does not decompress, a value stream that does not match its page. Rows of the
         * damaged page, or of the whole file when the footer is bad, are lost or wrong.
         */
        UNREADABLE,
        /** The Delta log lists the file but storage does not hold it. */
        MISSING,
        /** The file's size on storage differs from the size the Delta log recorded when it was added. */
        SIZE_MISMATCH,
        /** The Delta log's row count (its {@code numRecords} statistic) and the Parquet footer disagree. */
        ROW_COUNT_MISMATCH,
        /** In a bronze file, positions of one source partition go backwards. */
        POSITIONS_OUT_OF_ORDER,
        /**
         * In a bronze table, a source partition's position is held twice: repeated within a file, or
         * in two files whose position ranges overlap.
         */
        POSITIONS_DUPLICATED
    }

    /**
     * One problem.
     *
     * <pre>{@code
     * UNREADABLE part-00000-1c9e.snappy.parquet, row group 2, column value, page 13: ...
     * }</pre>
     *
     * @param file the data file's path as the Delta log holds it, relative to the table
     * @param kind what is wrong
     * @param rowGroup the row group (0-based), -1 when the problem is not in one row group
     * @param column the column's dotted path ({@code headers.key_value.value}), null when the problem
     *     is not in one column
     * @param page the data page within the column chunk (0-based, the dictionary page not counted), -1
     *     when the problem is not in one data page
     * @param message what was found, with the underlying error
     */
    public record Problem(String file, Kind kind, int rowGroup, @Nullable String column, int page, String message) {
        /** Checks the required fields. */
        public Problem {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(message, "message");
        }

        /** @return one line: kind, file, where in the file, message */
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder().append(kind).append(' ').append(file);
            List<String> where = new ArrayList<>(3);
            if (rowGroup >= 0) {
                where.add("row group " + rowGroup);
            }
            if (column != null) {
                where.add("column " + column);
            }
            if (page >= 0) {
                where.add("page " + page);
            }
            if (!where.isEmpty()) {
                sb.append(", ").append(String.join(", ", where));
            }
            return sb.append(": ").append(message).toString();
        }
    }

    /**
     * The positions of one source partition that a damaged bronze file holds.
     *
     * <pre>{@code
     * RANGE part-00000-1c9e.snappy.parquet: source orders partition 3 positions 120000..124999 (5,000 rows)
     * }</pre>
     *
     * @param file the data file's path as the Delta log holds it
     * @param source the source (topic or event hub)
     * @param partition the partition
     * @param first the lowest position the file holds of it
     * @param last the highest
     * @param rows the rows the file holds of it (last - first + 1 when the positions have no gaps)
     */
    public record PositionRange(String file, String source, int partition, long first, long last, long rows) {
        /** Checks the required fields. */
        public PositionRange {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(source, "source");
        }

        /** @return one line: file, source partition, positions and rows */
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "RANGE %s: source %s partition %d positions %d..%d (%,d row%s)", file,
                    source, partition, first, last, rows, rows == 1 ? "" : "s");
        }
    }

    /** @return true when no problem was found */
    public boolean ok() {
        return problems.isEmpty();
    }

    /** @return the paths of the files with at least one problem, sorted */
    public Set<String> damagedFiles() {
        Set<String> files = new TreeSet<>();
        problems.forEach(p -> files.add(p.file()));
        return files;
    }

    /**
     * @return one line per problem, one per position range of a damaged bronze file, then a totals
     *     line, for example
     *     {@code lake/bronze/orders version 12: 40 files, 10,000,000 rows, 110,000,000 values checked; no problems}
     */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        for (Problem p : problems) {
            sb.append(p).append('\n');
        }
        for (PositionRange r : damagedPositions) {
            sb.append(r).append('\n');
        }
        sb.append(String.format(Locale.ROOT, "%s version %d: %s, %s, %s checked; ", table, version,
                count(filesChecked, "file"), count(rowsChecked, "row"), count(valuesChecked, "value")));
        sb.append(ok() ? "no problems" : count(problems.size(), "problem") + " in "
                + count(damagedFiles().size(), "file"));
        return sb.toString();
    }

    private static String count(long n, String noun) {
        return String.format(Locale.ROOT, "%,d %s%s", n, noun, n == 1 ? "" : "s");
    }

    /** @return {@link #summary()} */
    @Override
    public String toString() {
        return summary();
    }
}
