package dev.qwm.progress;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The progress of one task on a console stream: units done of the total, the rate, the time so far and the time
 * left (ETA), and a message of the caller's.
 *
 * <p>On a terminal the line is redrawn in place (carriage return) at most every {@link Builder#redraw}; anywhere else
 * (a log file, a pipe, a CI console) carriage returns would make one endless line, so it writes a whole,
 * newline-terminated line at most every {@link Builder#every}. Either way {@link #close()} writes the final line.
 * There is no timer thread: the line changes when the task reports, which long work does often enough.
 *
 * <p>Thread-safe: workers of one task may report concurrently.
 */
public final class ProgressLine implements AutoCloseable {

    /** {@code -Dqwm.progress=terminal|lines} overrides what the stream is taken for. */
    public static final String MODE_PROPERTY = "qwm.progress";

    private final PrintStream out;
    private final String task;
    private final long total;
    private final String unit;
    private final boolean terminal;
    private final long intervalNanos;
    private final int width;
    private final LongSupplier clock;
    private final long startNanos;
    private final long startCount;
    private final long elapsedBeforeNanos;

    private long current;
    private String message = "";
    private long lastShownNanos;
    private int lastLength;
    private boolean closed;

    private ProgressLine(Builder b) {
        this.out = b.out;
        this.task = b.task;
        this.total = b.total;
        this.unit = b.unit;
        this.terminal = b.terminal != null ? b.terminal : isTerminal(b.out);
        this.intervalNanos = (terminal ? b.redraw : b.every).toNanos();
        this.width = b.width;
        this.clock = b.clock;
        this.startNanos = clock.getAsLong();
        this.startCount = b.startCount;
        this.elapsedBeforeNanos = b.elapsedBefore.toNanos();
        this.current = b.startCount;
        this.lastShownNanos = startNanos;
        if (terminal) {
            show(); // at once: a terminal user wants to see that it started
        }
    }

    /** A progress line on {@code out}: a terminal if {@code out} is this process's stderr or stdout on a tty. */
    public static Builder on(PrintStream out) {
        return new Builder(out);
    }

    /** One more unit done. */
    public void step() {
        stepBy(1);
    }

    public synchronized void stepBy(long n) {
        current += n;
        maybeShow();
    }

    /** {@code done} units done in all. */
    public synchronized void stepTo(long done) {
        current = done;
        maybeShow();
    }

    /** {@code done} units done in all, and what the task is doing now: one line with both. */
    public synchronized void stepTo(long done, String text) {
        current = done;
        message = text == null ? "" : text.strip();
        maybeShow();
    }

    /** What the task is doing now, shown after the figures (the latest message wins). */
    public synchronized void message(String text) {
        message = text == null ? "" : text.strip();
        maybeShow();
    }

    public synchronized long current() {
        return current;
    }

    public long total() {
        return total;
    }

    /** Whether the line is redrawn in place (a terminal) rather than written as lines. */
    public boolean terminal() {
        return terminal;
    }

    /** Writes the final line; later reports are ignored. Closing twice does nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        show();
        if (terminal) {
            out.print('\n');
        }
        out.flush();
        closed = true;
    }

    private void maybeShow() {
        if (closed) {
            return;
        }
        long now = clock.getAsLong();
        if (now - lastShownNanos >= intervalNanos) {
            show();
        }
    }

    private void show() {
        long now = clock.getAsLong();
        lastShownNanos = now;
        String line = render(now);
        if (terminal) {
            if (line.length() > width) {
                line = line.substring(0, width - 1) + "…";
            }
            // spaces over what is left of a longer previous line
            String pad = " ".repeat(Math.max(0, lastLength - line.length()));
            lastLength = line.length();
            out.print("\r" + line + pad);
        } else {
            out.print(line + "\n");
        }
        out.flush();
    }

    /** The line without any carriage return or newline. */
    String render(long nowNanos) {
        long ranNanos = Math.max(0, nowNanos - startNanos);
        long doneNow = current - startCount;
        StringBuilder sb = new StringBuilder(task).append(' ');
        if (total > 0) {
            sb.append(current).append('/').append(total).append(' ').append(unit)
                    .append(String.format(Locale.ROOT, " %3d%%", (int) Math.min(100, 100 * current / total)));
        } else {
            sb.append(current).append(' ').append(unit);
        }
        sb.append(" | ").append(rate(doneNow, ranNanos));
        sb.append(" | ").append(duration(elapsedBeforeNanos + ranNanos));
        if (total > 0 && current < total) {
            sb.append(", ETA ");
            sb.append(doneNow > 0 && ranNanos > 0 ? duration((long) ((double) ranNanos / doneNow * (total - current)))
                    : "?");
        }
        if (!message.isEmpty()) {
            sb.append(" | ").append(message);
        }
        return sb.toString();
    }

    /** Units per second, or seconds per unit when a unit takes longer than a second. */
    private String rate(long done, long nanos) {
        if (done <= 0 || nanos <= 0) {
            return "- " + unit + "/s";
        }
        double perSecond = done / (nanos / 1e9);
        return perSecond >= 1 ? String.format(Locale.ROOT, "%.1f %s/s", perSecond, unit)
                : String.format(Locale.ROOT, "%.1f s/%s", 1 / perSecond, unit);
    }

    static String duration(long nanos) {
        long s = Math.round(nanos / 1e9);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60);
    }

    /**
     * Whether {@code out} is this process's stderr or stdout and that is a terminal ({@link #MODE_PROPERTY}
     * overrides). {@code System.console()} cannot say: it looks at stdin and stdout, and {@code 2> file} leaves both
     * on the terminal.
     */
    static boolean isTerminal(PrintStream out) {
        String mode = System.getProperty(MODE_PROPERTY, "");
        if (mode.equals("terminal")) {
            return true;
        }
        if (mode.equals("lines")) {
            return false;
        }
        int fd = out == System.err ? 2 : out == System.out ? 1 : -1;
        if (fd < 0) {
            return false;
        }
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false; // no /proc (not Linux): lines are safe everywhere
        }
    }

    /** The settings of a progress line; {@link #start()} shows it. */
    public static final class Builder {
        private final PrintStream out;
        private String task = "";
        private long total;
        private String unit = "it";
        private long startCount;
        private Duration elapsedBefore = Duration.ZERO;
        private Boolean terminal;
        private Duration redraw = Duration.ofMillis(250);
        private Duration every = Duration.ofSeconds(15);
        private int width = 150;
        private LongSupplier clock = System::nanoTime;

        private Builder(PrintStream out) {
            this.out = out;
        }

        /** What is being done, first on the line. */
        public Builder task(String task) {
            this.task = task;
            return this;
        }

        /** How many units in all (0: unknown, no percentage or ETA). */
        public Builder total(long total) {
            this.total = total;
            return this;
        }

        /** The unit counted, e.g. {@code "ep"} or {@code "steps"}. */
        public Builder unit(String unit) {
            this.unit = unit.strip();
            return this;
        }

        /** A resumed task: {@code done} units were done before, in {@code elapsed} (the rate counts only this run). */
        public Builder resumedAt(long done, Duration elapsed) {
            this.startCount = done;
            this.elapsedBefore = elapsed;
            return this;
        }

        /** Off a terminal: at most one line per {@code interval}. */
        public Builder every(Duration interval) {
            this.every = interval;
            return this;
        }

        /** On a terminal: at most one redraw per {@code interval}. */
        public Builder redraw(Duration interval) {
            this.redraw = interval;
            return this;
        }

        /** On a terminal: longer lines are cut to {@code columns}. */
        public Builder width(int columns) {
            this.width = Math.max(20, columns);
            return this;
        }

        /** Redrawn in place ({@code true}) or written as lines, whatever the stream is. */
        public Builder terminal(boolean terminal) {
            this.terminal = terminal;
            return this;
        }

        /** The time source in nanoseconds ({@code System::nanoTime}); tests move a clock of their own. */
        public Builder clock(LongSupplier nanos) {
            this.clock = nanos;
            return this;
        }

        public ProgressLine start() {
            return new ProgressLine(this);
        }
    }
}
