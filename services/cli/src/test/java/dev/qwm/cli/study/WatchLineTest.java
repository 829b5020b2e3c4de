package dev.qwm.cli.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A followed study's progress line, on a clock the test moves (nothing here waits or times anything). */
class WatchLineTest {

    private static final long SECOND = 1_000_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong now = new AtomicLong(5_000 * SECOND);
    /** The Wall study's grid: 45 cells of 50 episodes. */
    private final List<String> cells = new ArrayList<>();

    WatchLineTest() {
        for (int i = 0; i < 45; i++) {
            cells.add("cell" + i);
        }
    }

    private List<String> lines() {
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** {@code stored[i]} episodes of cell i, the first {@code successes[i]} of them successful. */
    private static ArrayNode episodes(int[] stored, int[] successes) {
        ArrayNode a = JSON.createArrayNode();
        for (int c = 0; c < stored.length; c++) {
            for (int i = 0; i < stored[c]; i++) {
                a.addObject().put("configuration", "cell" + c).put("success", i < successes[c]);
            }
        }
        return a;
    }

    @Test
    void aResumedStudyCountsRateAndEtaFromThisRunsEpisodesOnly() {
        // 220 of 2250 stored when the run starts (imported from the log): four cells complete, a fifth at 20
        int[] stored = new int[45];
        int[] ok = new int[45];
        for (int c = 0; c < 4; c++) {
            stored[c] = 50;
            ok[c] = 40;
        }
        stored[4] = 20;
        ok[4] = 10;
        try (WatchLine line = new WatchLine(out, 2250, cells, 50, now::get)) {
            line.update(episodes(stored, ok), 0, "");
            now.addAndGet(46 * SECOND);
            stored[4] = 31; // 11 episodes in 46 s
            ok[4] = 15;
            line.update(episodes(stored, ok), 0, "");
            assertEquals(List.of("episodes 231/2250 ep  10% | 4.2 s/ep | 46s, ETA 2h20m | cells 4 done, 1 in flight,"
                    + " 40 waiting | success 175/231 | cell4 31/50"), lines());
        }
    }

    @Test
    void aFreshStudyCountsEveryEpisodeAndNamesAtMostThreeCellsInFlight() {
        int[] stored = new int[45];
        int[] ok = new int[45];
        try (WatchLine line = new WatchLine(out, 2250, cells, 50, now::get)) {
            line.update(episodes(stored, ok), 0, "");
            now.addAndGet(100 * SECOND);
            for (int c = 0; c < 45; c++) {
                stored[c] = 1 + c % 2; // 45 cells in flight at once
            }
            line.update(episodes(stored, ok), 2, "episode log +67 (67)");
        }
        List<String> lines = lines();
        assertEquals(2, lines.size(), lines.toString()); // the line at 100 s and the final one
        assertEquals("episodes 69/2250 ep   3% | 1.4 s/ep | 1m40s, ETA 52m41s | cells 0 done, 45 in flight,"
                + " 0 waiting | success 0/67 | failed 2 | cell0 1/50, cell1 2/50, cell2 1/50 +42"
                + " | episode log +67 (67)", lines.get(0));
        for (String l : lines) {
            assertTrue(l.length() < 200, l);
        }
    }

    @Test
    void cellsTheSpecDoesNotNameAreCountedAsEpisodesShowThem() {
        try (WatchLine line = new WatchLine(out, 10, List.of(), 0, now::get)) {
            line.update(JSON.createArrayNode(), 0, "");
            now.addAndGet(20 * SECOND);
            line.update(episodes(new int[] {4}, new int[] {3}), 0, "");
        }
        assertEquals("episodes 4/10 ep  40% | 5.0 s/ep | 20s, ETA 30s | cells 0 done, 1 in flight, 0 waiting"
                + " | success 3/4 | cell0 4", lines().get(0));
    }
}
