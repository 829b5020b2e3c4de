package dev.qwm.analysis.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChartsTest {

    /** How many of {@code labels} the figure draws as text. */
    private static long drawn(Charts.Figure f, List<String> labels) {
        return labels.stream().filter(l -> f.svg().contains(">" + l + " <") || f.svg().contains("> " + l + "<")).count();
    }

    @Test
    void aCrowdedScatterLabelsWhatFitsAndTheParetoFrontFirst() {
        List<Charts.Point> points = new ArrayList<>();
        List<String> crowd = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            // thirty configurations within a hair of each other: their labels cannot all be read
            String label = "crowded-" + i;
            crowd.add(label);
            points.add(new Charts.Point(label, 0.36 + i * 1e-4, 0.80 + i * 1e-4, ""));
        }
        Charts.Point cheap = new Charts.Point("front-cheap", 0.2, 0.5, "");
        Charts.Point crowdedFront = new Charts.Point("front-in-the-crowd", 0.3605, 0.805, "");
        Charts.Point best = new Charts.Point("front-best", 1.0, 0.95, "");
        points.addAll(List.of(cheap, crowdedFront, best));

        Charts.Figure f = Charts.pareto("bytes", "MB", points, List.of(cheap, crowdedFront, best));
        assertEquals(3, drawn(f, List.of("front-cheap", "front-in-the-crowd", "front-best")), "every front point is named");
        long crowdDrawn = drawn(f, crowd);
        assertTrue(crowdDrawn <= Charts.LABEL_TRIES, "labels of a cluster beyond what fits are left out, not piled up: "
                + crowdDrawn + " of 30 drawn");

        Charts.Figure few = Charts.scatter("few", "x", "y", List.of(new Charts.Point("a", 0, 0, "s"),
                new Charts.Point("b", 0.5, 0.5, "s"), new Charts.Point("c", 1, 1, "s")), 0.0, 1.0);
        assertEquals(3, drawn(few, List.of("a", "b", "c")), "points apart keep their labels");
    }
}
