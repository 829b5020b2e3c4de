package dev.qwm.planning.cem;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/** CPU time of the current thread, when the JVM measures it: a cost figure that shared cores do not inflate. */
final class ThreadCpu {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final boolean SUPPORTED = THREADS.isCurrentThreadCpuTimeSupported();

    private ThreadCpu() {
    }

    /** Now, or -1 if unsupported. */
    static long nanos() {
        return SUPPORTED ? THREADS.getCurrentThreadCpuTime() : -1;
    }

    /** CPU nanos since {@code start} (from {@link #nanos()}), or -1. */
    static long since(long start) {
        return start < 0 ? -1 : THREADS.getCurrentThreadCpuTime() - start;
    }
}
