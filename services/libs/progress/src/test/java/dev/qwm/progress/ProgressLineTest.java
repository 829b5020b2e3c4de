package dev.qwm.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The line's figures and both of its forms, on a clock the test moves (no test here waits or times anything). */
class ProgressLineTest {

    private static final long SECOND = 1_000_000_000L;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong now = new AtomicLong(1_000 * SECOND);

    private String written() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private ProgressLine.Builder line() {
        return ProgressLine.on(out).task("eval wall").total(50).unit("ep").clock(now::get);
    }

    @Test
    void offATerminalWritesWholeLinesAtTheInterval() {
        try (ProgressLine p = line().terminal(false).every(Duration.ofSeconds(15)).start()) {
            assertEquals("", written(), "nothing before the first interval");
            for (int i = 0; i < 10; i++) {
                now.addAndGet(2 * SECOND);
                p.step();
                p.message("success " + (i + 1) + "/" + (i + 1));
            }
            // 20 s in: one line, at the first report after 15 s (episode 8)
            assertEquals(List.of("eval wall 8/50 ep  16% | 2.0 s/ep | 16s, ETA 1m24s | success 7/7"),
                    written().lines().toList());
        }
        List<String> lines = written().lines().toList();
        assertEquals(2, lines.size(), written());
        assertEquals("eval wall 10/50 ep  20% | 2.0 s/ep | 20s, ETA 1m20s | success 10/10", lines.get(1));
        assertFalse(written().contains("\r"), "no carriage return in a log");
        assertTrue(written().endsWith("\n"));
    }

    @Test
    void onATerminalRedrawsOneLineAndEndsItOnClose() {
        try (ProgressLine p = line().total(4).unit("steps").terminal(true).redraw(Duration.ofMillis(250)).start()) {
            assertEquals("\reval wall 0/4 steps   0% | - steps/s | 0s, ETA ?", written());
            p.step(); // within 250 ms of the last drawing: not drawn
            assertEquals(1, written().split("\r", -1).length - 1);
            now.addAndGet(SECOND);
            p.message("loss 0.25");
            now.addAndGet(SECOND);
            p.message("");
        }
        String[] draws = written().split("\r", -1);
        assertEquals(4 + 1, draws.length, written()); // the first, two redraws and the final one
        assertEquals("eval wall 1/4 steps  25% | 1.0 steps/s | 1s, ETA 3s | loss 0.25", draws[2]);
        // a shorter drawing than the one before: spaces cover the rest
        String last = "eval wall 1/4 steps  25% | 2.0 s/steps | 2s, ETA 6s";
        assertEquals(last + " ".repeat(12), draws[3]);
        assertEquals(last + "\n", draws[4]);
        assertFalse(written().substring(0, written().length() - 1).contains("\n"), "one line until closed");
    }

    @Test
    void aTerminalLineIsCutToItsWidth() {
        try (ProgressLine p = line().terminal(true).width(40).start()) {
            p.message("x".repeat(100));
        }
        for (String draw : written().strip().split("\r")) {
            assertTrue(draw.length() <= 40, draw);
        }
    }

    @Test
    void aResumedTaskCountsItsRateFromThisRunAndItsTimeFromTheStart() {
        try (ProgressLine p = line().total(1000).unit("steps").terminal(false).resumedAt(400, Duration.ofMinutes(10))
                .start()) {
            now.addAndGet(20 * SECOND);
            p.stepTo(600);
            assertEquals(List.of("eval wall 600/1000 steps  60% | 10.0 steps/s | 10m20s, ETA 40s"),
                    written().lines().toList());
        }
    }

    @Test
    void aCountAndAMessageReportedTogetherAreShownTogether() {
        try (ProgressLine p = line().terminal(false).every(Duration.ofSeconds(15)).start()) {
            now.addAndGet(20 * SECOND);
            p.stepTo(10, "success 9/10");
            assertEquals(List.of("eval wall 10/50 ep  20% | 2.0 s/ep | 20s, ETA 1m20s | success 9/10"),
                    written().lines().toList());
        }
    }

    @Test
    void withoutATotalThereIsNoPercentageOrEta() {
        try (ProgressLine p = line().total(0).terminal(false).start()) {
            now.addAndGet(3 * SECOND);
            p.stepBy(6);
        }
        assertEquals("eval wall 6 ep | 2.0 ep/s | 3s", written().strip());
    }

    @Test
    void afterCloseReportsAreIgnoredAndCloseTwiceWritesOnce() {
        ProgressLine p = line().terminal(false).every(Duration.ZERO).start();
        p.close();
        p.step();
        p.close();
        assertEquals(1, written().lines().count(), written());
    }

    @Test
    void durationsReadAsSecondsMinutesOrHours() {
        assertEquals("59s", ProgressLine.duration(59 * SECOND));
        assertEquals("1m00s", ProgressLine.duration(60 * SECOND));
        assertEquals("2h03m", ProgressLine.duration((2 * 3600 + 3 * 60 + 5) * SECOND));
    }

    @Test
    void aStreamOtherThanStdoutOrStderrIsNoTerminalUnlessSaidSo() {
        assertFalse(ProgressLine.isTerminal(out));
        String before = System.getProperty(ProgressLine.MODE_PROPERTY);
        try {
            System.setProperty(ProgressLine.MODE_PROPERTY, "terminal");
            assertTrue(ProgressLine.isTerminal(out));
            System.setProperty(ProgressLine.MODE_PROPERTY, "lines");
            assertFalse(ProgressLine.isTerminal(System.err));
        } finally {
            if (before == null) {
                System.clearProperty(ProgressLine.MODE_PROPERTY);
            } else {
                System.setProperty(ProgressLine.MODE_PROPERTY, before);
            }
        }
    }
}
