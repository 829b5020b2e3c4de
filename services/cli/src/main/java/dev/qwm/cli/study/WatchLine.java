package dev.qwm.cli.study;

import com.fasterxml.jackson.databind.JsonNode;
import dev.qwm.progress.ProgressLine;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The progress line of a followed study ({@link StudyRunner#watch}): episodes stored or failed of the study's total,
 * with rate and ETA from this run's work only, and a message short enough to read on every line.
 *
 * <p>A resumed study already holds episodes (imported from its log, or stored before a reattach); the first poll's
 * count is this run's starting point, so they count towards the total but not the rate. The message names cells, not
 * all of them (a grid has dozens): how many are done, in flight and waiting, the successes so far, and the cells in
 * flight, at most {@link #CELLS_SHOWN}. A cell is in flight once this run has stored an episode of it and until it is
 * complete.
 */
final class WatchLine implements AutoCloseable {

    static final int CELLS_SHOWN = 3;

    private final PrintStream out;
    private final int total;
    private final int perCell;
    private final List<String> cells;
    private final LongSupplier clock;
    /** Stored episodes per cell at the first poll. */
    private final Map<String, Integer> atStart = new LinkedHashMap<>();
    private ProgressLine bar;

    /**
     * @param cells   the study's cell labels in grid order (cells not named here are added as episodes show them)
     * @param perCell episodes per cell (0: unknown, a cell is then never counted as done)
     */
    WatchLine(PrintStream out, int total, List<String> cells, int perCell, LongSupplier clock) {
        this.out = out;
        this.total = total;
        this.cells = List.copyOf(cells);
        this.perCell = perCell;
        this.clock = clock;
    }

    /** One poll of the collector: its stored episodes, the failed count and a note to append (or ""). */
    void update(JsonNode episodes, int failed, String note) {
        Map<String, int[]> byCell = new LinkedHashMap<>();
        cells.forEach(c -> byCell.put(c, new int[2]));
        for (JsonNode e : episodes) {
            int[] c = byCell.computeIfAbsent(e.path("configuration").asText(), k -> new int[2]);
            c[0]++;
            c[1] += e.path("success").asBoolean() ? 1 : 0;
        }
        int done = episodes.size() + failed;
        if (bar == null) {
            byCell.forEach((k, v) -> atStart.put(k, v[0]));
            bar = ProgressLine.on(out).task("episodes").total(total).unit("ep").width(140).clock(clock)
                    .resumedAt(done, Duration.ZERO).start();
        }
        bar.stepTo(done, message(byCell, failed, note));
    }

    private String message(Map<String, int[]> byCell, int failed, String note) {
        int complete = 0;
        int waiting = 0;
        int stored = 0;
        int successes = 0;
        List<String> inFlight = new ArrayList<>();
        for (Map.Entry<String, int[]> c : byCell.entrySet()) {
            int n = c.getValue()[0];
            stored += n;
            successes += c.getValue()[1];
            if (perCell > 0 && n >= perCell) {
                complete++;
            } else if (n > atStart.getOrDefault(c.getKey(), 0)) {
                inFlight.add(c.getKey() + " " + n + (perCell > 0 ? "/" + perCell : ""));
            } else {
                waiting++;
            }
        }
        StringBuilder sb = new StringBuilder("cells ").append(complete).append(" done, ").append(inFlight.size())
                .append(" in flight, ").append(waiting).append(" waiting | success ").append(successes).append('/')
                .append(stored);
        if (failed > 0) {
            sb.append(" | failed ").append(failed);
        }
        if (!inFlight.isEmpty()) {
            sb.append(" | ").append(String.join(", ", inFlight.subList(0, Math.min(CELLS_SHOWN, inFlight.size()))));
            if (inFlight.size() > CELLS_SHOWN) {
                sb.append(" +").append(inFlight.size() - CELLS_SHOWN);
            }
        }
        if (!note.isEmpty()) {
            sb.append(" | ").append(note);
        }
        return sb.toString();
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
