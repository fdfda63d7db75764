package io.streamlake.samples;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;

/**
 * What a sample program printed (standard output and error together) and its exit code. The
 * output is echoed after the run, so a failing test still shows it.
 *
 * <pre>{@code
 * ProgramRun run = ProgramRun.of(() -> VerifyTable.run(args, Map.of()));
 * assertThat(run.code()).isZero();
 * }</pre>
 *
 * @param code the exit code
 * @param output everything printed
 */
record ProgramRun(int code, String output) {

    /** Runs the program with the standard streams captured; not for tests that run in parallel. */
    static ProgramRun of(IntSupplier program) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        System.setOut(both);
        System.setErr(both);
        try {
            return new ProgramRun(program.getAsInt(), buffer.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
            out.print(buffer.toString(StandardCharsets.UTF_8));
        }
    }
}
