package dev.docrag.examples.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Signal handling for long CLI work: the first SIGINT/SIGTERM interrupts the working thread (which
 * DocRag turns into a clean early stop) and records the exit code 128 + signal; a second one ends
 * the process at once. Handling the signal ourselves also keeps the JVM from running its shutdown
 * hooks (ONNX Runtime's among them) while the work still uses the embedder.
 */
final class Signals {
    private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    /** Installs the handler; closing restores the one it replaced. */
    @SuppressWarnings("removal")
    static AutoCloseable handle(String signal, int code, AtomicInteger signalled, Thread worker, PrintWriter err) {
        try {
            sun.misc.Signal sig = new sun.misc.Signal(signal);
            sun.misc.SignalHandler previous = sun.misc.Signal.handle(sig, s -> {
                if (signalled.compareAndSet(0, code)) {
                    err.println();
                    err.println("docrag: stopping, keeping what was indexed so far (press Ctrl-C again to quit at once)");
                    err.flush();
                    worker.interrupt();
                } else {
                    // The index is crash-safe: the last commit is what the next run starts from.
                    Runtime.getRuntime().halt(code);
                }
            });
            return () -> sun.misc.Signal.handle(sig, previous);
        } catch (IllegalArgumentException e) {
            LOG.debug("cannot handle SIG{}: {}", signal, e.getMessage());
            return () -> { };
        }
    }
}
