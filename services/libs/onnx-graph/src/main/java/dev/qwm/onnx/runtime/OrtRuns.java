package dev.qwm.onnx.runtime;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession.RunOptions;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The ONNX Runtime runs in flight in this JVM, and the shutdown hook that stops them. Every {@link OnnxSession} run
 * comes here with run options of its own. When the JVM exits (SIGTERM, {@code System.exit}) while a thread is inside
 * ORT's native Run, the exit would run libonnxruntime's static destructors (and ORT's own hook would release its
 * environment) under that thread: {@code ./qwm autoquant} stopped with SIGTERM while planning crashed with SIGSEGV in
 * libonnxruntime. So the hook sets terminate on every run in flight, which ORT checks between nodes, and waits for
 * them to return before the JVM goes on to exit.
 *
 * <p>A run stopped that way, or started once the JVM is shutting down, ends in {@link Stopped}: an {@link Error},
 * so that no handler of failed inferences takes it for one (records an episode as failed, say) while the process
 * ends.
 */
final class OrtRuns {

    /** How long the hook waits for the runs it stopped: ORT checks the flag between nodes, far within this. */
    private static final long WAIT_MS = 30_000;

    private static final Object LOCK = new Object();
    private static final Set<RunOptions> IN_FLIGHT = new LinkedHashSet<>();
    private static boolean stopping;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(OrtRuns::stopAll, "qwm-stop-ort-runs"));
    }

    /** One ORT call given its run options. */
    @FunctionalInterface
    interface Call<T> {
        T run(RunOptions options) throws OrtException;
    }

    /** The end of a run that the JVM's shutdown stopped, or that was started while it shuts down. */
    static final class Stopped extends Error {
        Stopped(String label) {
            super(label + ": ONNX Runtime run stopped, the JVM is shutting down", null, false, false);
        }
    }

    private OrtRuns() {
    }

    /**
     * Runs {@code call} with run options registered for the shutdown hook.
     *
     * @throws Stopped              when the JVM's shutdown stopped it, or began before it
     * @throws OnnxRuntimeException when ORT fails otherwise, naming {@code label}
     */
    static <T> T run(String label, Call<T> call) {
        RunOptions options;
        try {
            options = new RunOptions();
        } catch (OrtException e) {
            throw new OnnxRuntimeException(label + ": cannot create run options: " + e.getMessage(), e);
        }
        try {
            synchronized (LOCK) {
                if (stopping) {
                    throw new Stopped(label);
                }
                IN_FLIGHT.add(options);
            }
            try {
                return call.run(options);
            } catch (OrtException e) {
                synchronized (LOCK) {
                    if (stopping) {
                        throw new Stopped(label);
                    }
                }
                throw new OnnxRuntimeException(label + ": inference failed: " + e.getMessage(), e);
            } finally {
                synchronized (LOCK) {
                    IN_FLIGHT.remove(options);
                    LOCK.notifyAll();
                }
            }
        } finally {
            options.close();
        }
    }

    /** The shutdown hook: terminate every run in flight and wait until each has returned. */
    static void stopAll() {
        synchronized (LOCK) {
            stopping = true;
            int n = IN_FLIGHT.size();
            if (n == 0) {
                return;
            }
            for (RunOptions o : IN_FLIGHT) {
                try {
                    o.setTerminate(true);
                } catch (OrtException e) {
                    System.err.println("qwm: cannot stop an ONNX Runtime run: " + e.getMessage());
                }
            }
            long deadline = System.nanoTime() + WAIT_MS * 1_000_000;
            while (!IN_FLIGHT.isEmpty()) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    System.err.println("qwm: " + IN_FLIGHT.size() + " ONNX Runtime run(s) still running after "
                            + WAIT_MS / 1000 + " s; exiting all the same");
                    return;
                }
                try {
                    LOCK.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            System.err.println("qwm: stopped " + n + " ONNX Runtime run" + (n == 1 ? "" : "s") + " before exit");
        }
    }
}
