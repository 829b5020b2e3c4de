package dev.qwm.quantizer.job;

import java.io.UncheckedIOException;

/** A failure as a job's message says it: the message, with the I/O cause that the message leaves out. */
final class Failures {

    private Failures() {
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName() + (e.getCause() != null ? ": " + describe(e.getCause()) : "");
        }
        if (e instanceof UncheckedIOException && e.getCause() != null && e.getCause().getMessage() != null
                && !m.contains(e.getCause().getMessage())) {
            return m + ": " + e.getCause().getMessage();
        }
        return m;
    }
}
