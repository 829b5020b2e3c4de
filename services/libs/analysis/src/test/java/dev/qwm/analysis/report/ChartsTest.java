package dev.qwm.analysis.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    @Test
    void noTwoLinesOfAChartLookAlikeEvenWhenTheirConfigurationsShareAColour() {
        // as in a study of more configurations than the palette has colours: the 1st and 11th share blue
        Map<String, Color> colours = new LinkedHashMap<>();
        List<Charts.Line> lines = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String name = "pusht config-" + i;
            colours.put(name, Charts.PALETTE[i % 3]);   // only three colours among twelve lines
            names.add(name);
            lines.add(new Charts.Line(name, new double[]{1, 2, 3, 4, 5}, new double[]{i, i + 1, i + 2, i + 3, i + 4}));
        }
        List<Charts.LineStyle> styles = Charts.lineStyles(names, colours);
        assertEquals(12, new HashSet<>(styles).size(), "every line its own style: " + styles);
        assertEquals(colours.get(names.get(0)), styles.get(0).colour(), "a line keeps its configuration's colour");
        assertEquals(0, styles.get(0).dash(), "the first line of a colour is solid");
        assertEquals(colours.get(names.get(3)), styles.get(3).colour(), "the second of blue is blue, dashed");
        assertTrue(styles.get(3).dash() > 0);
        // more lines than one colour has patterns: the rest take colours not drawn yet, still all different
        Map<String, Color> allBlue = new LinkedHashMap<>();
        names.forEach(n -> allBlue.put(n, Charts.PALETTE[0]));
        assertEquals(12, new HashSet<>(Charts.lineStyles(names, allBlue)).size());

        // the drawn chart: each series' path with its own stroke colour and dash pattern
        Charts.Figure f = Charts.lines("drift", "h", "error", lines, null, null, colours);
        Matcher paths = Pattern.compile("<g style='([^']*stroke-width:2[^']*)'[^>]*><path d='M[^'C]*L[^'C]*L[^'C]*L[^'C]*L[^'C]*'/>")
                .matcher(f.svg());
        Set<String> drawn = new HashSet<>();
        while (paths.find()) {
            String style = paths.group(1);
            Matcher stroke = Pattern.compile("stroke:([^;]+)").matcher(style);
            Matcher dash = Pattern.compile("stroke-dasharray:([^;]+)").matcher(style);
            drawn.add((stroke.find() ? stroke.group(1) : "?") + "|" + (dash.find() ? dash.group(1) : "solid"));
        }
        assertEquals(12, drawn.size(), "twelve differently drawn lines: " + drawn);
    }
}
