package io.streamlake.samples;

import io.streamlake.exceptions.StreamLakeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * What the sample programs share around their own work: reading their arguments, and turning wrong
 * arguments and failures into a message and an exit code (0 done, 1 failed, 2 wrong arguments).
 */
final class SampleMain {
    /** Reads a program's options from its arguments and environment. */
    interface Parser<O> {
        /** @throws IllegalArgumentException naming the wrong argument, never echoing a secret */
        O parse(String[] args, Map<String, String> env);
    }

    private SampleMain() {
    }

    /**
     * @param program the program's name, for the failure message
     * @param usage printed with wrong arguments and for help
     * @param help whether the options ask for help
     * @param body the program's work
     * @return the exit code
     */
    static <O> int run(String program, String usage, String[] args, Map<String, String> env, Parser<O> parser,
            Predicate<O> help, Consumer<O> body) {
        O options;
        try {
            options = parser.parse(args, env);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(usage);
            return 2;
        }
        if (help.test(options)) {
            System.out.println(usage);
            return 0;
        }
        try {
            body.accept(options);
            return 0;
        } catch (StreamLakeException | IllegalArgumentException e) {
            System.err.println(program + " failed: " + e.getMessage());
            return 1;
        } catch (UncheckedIOException e) {
            // A local file the program could not read or write: the message names it, a stack trace adds nothing.
            System.err.println(program + " failed: " + e.getMessage() + " (" + e.getCause() + ")");
            return 1;
        }
    }

    /** Exits with the code unless it is 0, so that a program that ends normally leaves its threads to finish. */
    static void exitOnFailure(int code) {
        if (code != 0) {
            System.exit(code);
        }
    }

    /** @return the value after option {@code args[i - 1]} */
    static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /** @return a count given as an option, underscores allowed */
    static long number(String option, String text) {
        try {
            long n = Long.parseLong(text.replace("_", ""));
            if (n < 0) {
                throw new IllegalArgumentException(option + " must not be negative, got " + text);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes a whole number, got '" + text + "'");
        }
    }

    /**
     * Checks, before any work, the local folder a program writes its tables (and its broker's data)
     * to, creating it if missing: a path that is a file, or a folder this user may not write to,
     * becomes a one-line message instead of a stack trace from deep inside the broker or Hadoop.
     *
     * @param option the option that named the folder, for the message
     * @return the folder, absolute
     * @throws IllegalArgumentException naming the folder and what to do
     */
    static Path writableFolder(String option, Path folder) {
        Path dir = folder.toAbsolutePath().normalize();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(option + " " + dir + " is a file, not a folder: give a folder"
                    + " (it is created if missing)");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + dir + ": the folder cannot be created (" + e
                    + "); give a folder you may write to");
        }
        try {
            Files.delete(Files.createTempFile(dir, ".write-check", ""));
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + dir + " is not writable (" + e
                    + "); give a folder you may write to");
        }
        return dir;
    }

    /** Deletes a benchmark's run folder and everything in it. */
    static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The heap a benchmark runs with, and a warning when it is not fixed and pre-touched: a heap the
     * JVM grows into pays a page fault on each first touch of a page, which on a virtual machine
     * slows young collections several times over and moves the figures by tens of percent.
     */
    static String heap() {
        long max = Runtime.getRuntime().maxMemory() >> 20;
        List<String> options = ManagementFactory.getRuntimeMXBean().getInputArguments();
        boolean fixed = options.stream().anyMatch(o -> o.startsWith("-Xms"))
                && Runtime.getRuntime().totalMemory() >= Runtime.getRuntime().maxMemory() * 9 / 10;
        boolean touched = options.contains("-XX:+AlwaysPreTouch");
        return String.format(Locale.ROOT, "heap %,d MiB%s", max, fixed && touched ? ", fixed and pre-touched"
                : " (not fixed and pre-touched: figures vary; see the README's heap settings,"
                        + " -Xms" + max + "m -Xmx" + max + "m -XX:+AlwaysPreTouch)");
    }
}
