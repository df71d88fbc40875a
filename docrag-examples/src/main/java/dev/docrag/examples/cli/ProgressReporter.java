package dev.docrag.examples.cli;

import dev.docrag.index.IngestProgress;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Shows an ingest's {@link IngestProgress} to a person: a one-line bar redrawn in place on a
 * terminal, or a plain line every {@code every} otherwise (logs, CI, pipes), with files/s,
 * chunks/s and the time left at the rate so far. Not thread-safe: DocRag calls it on one thread.
 */
final class ProgressReporter implements Consumer<IngestProgress> {
    /** How progress is shown. */
    enum Mode {
        /** a bar on a terminal, lines otherwise */
        AUTO,
        /** a bar redrawn in place */
        BAR,
        /** a line every interval */
        LOG,
        /** nothing */
        OFF
    }

    private static final int WIDTH = 30;
    private static final long BAR_REDRAW_NANOS = 200_000_000L;

    private final PrintWriter err;
    private final boolean bar;
    private final boolean off;
    private final long everyNanos;
    private long lastNanos = Long.MIN_VALUE;
    private boolean drawn;
    /** Whether the line of a finished run (every file settled) was shown: once is enough. */
    private boolean finished;

    ProgressReporter(PrintWriter err, Mode mode, Duration every) {
        this.err = err;
        this.off = mode == Mode.OFF;
        this.bar = mode == Mode.BAR || mode == Mode.AUTO && onTerminal();
        this.everyNanos = every.toNanos();
    }

    @Override
    public void accept(IngestProgress p) {
        if (off) {
            return;
        }
        long now = System.nanoTime();
        boolean last = p.done() == p.files();
        if (!last && lastNanos != Long.MIN_VALUE && now - lastNanos < (bar ? BAR_REDRAW_NANOS : everyNanos)
                || last && finished) {
            return;
        }
        finished = last;
        lastNanos = now;
        String line = line(p);
        if (bar) {
            err.print("\r" + line + "\u001b[K");
        } else {
            err.println(line);
        }
        err.flush();
        drawn = true;
    }

    /** Ends the bar's line, so that what follows starts on a line of its own. */
    void finish() {
        if (bar && drawn) {
            err.println();
            err.flush();
        }
    }

    String line(IngestProgress p) {
        double seconds = Math.max(1e-3, p.elapsed().toNanos() / 1e9);
        double filesPerS = p.done() / seconds;
        // Embedded, not written: chunks are written a group of documents at a time, embedded steadily.
        double chunksPerS = p.embedded() / seconds;
        int pct = p.files() == 0 ? 100 : (int) (100L * p.done() / p.files());
        String eta = p.done() == 0 || p.done() >= p.files() ? "--" : duration((p.files() - p.done()) / filesPerS);
        String counts = String.format(Locale.ROOT, "%d/%d files (%d%%), %d chunks embedded, %.1f files/s, %.1f chunks/s, ETA %s",
                p.done(), p.files(), pct, p.embedded(), filesPerS, chunksPerS, eta);
        if (!bar) {
            return "indexing: " + counts;
        }
        int filled = p.files() == 0 ? WIDTH : (int) ((long) WIDTH * p.done() / p.files());
        return "[" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + counts;
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }

    /**
     * Whether standard error is likely a terminal. Java 22+ answers exactly ({@code
     * Console.isTerminal}, called reflectively since the code targets 21); on 21 a console exists
     * only when both standard streams are terminals.
     */
    private static boolean onTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }
}
