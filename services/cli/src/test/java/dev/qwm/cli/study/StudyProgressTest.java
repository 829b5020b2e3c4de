package dev.qwm.cli.study;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyProgressTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void statusCostsEachCellAtItsWholeBudgetBeforeAnyEpisodeIsStored() throws Exception {
        // a small budget: 8 candidates with top-k 4 (DINO-WM's top-k of 30 would not fit in 8)
        Path file = dir.resolve("small.yaml");
        Files.writeString(file, """
                name: small
                environment: wall
                bundle: models/wall
                episodes: 2
                budgets: [{max_iter: 1, opt_steps: 2, samples: 8, top_k: 4}]
                recipes: [{name: fp32}, {name: both-w8a16, preset: w8a16, modules: both}]
                """);
        StudySpec spec = StudySpec.read(file, false);
        ObjectNode recorded = JSON.createObjectNode();
        recorded.set("study", spec.toJson());
        spec.cells().forEach(c -> recorded.withArray("grid").addObject().put("label", c.label()));
        ObjectNode study = JSON.createObjectNode().put("specJson", JSON.writeValueAsString(recorded));
        study.putObject("summary").put("episodeCount", 4);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StudyProgress.status("small", study, JSON.createArrayNode(), new StudyCost.Rates(190, 450),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("both-w8a16"), out);
        assertTrue(out.contains("0/2"), out);
        assertTrue(out.contains("study small: 0 of 4 episodes stored"), out);
        for (String line : out.split("\n")) {
            if (line.startsWith("fp32") || line.startsWith("both-w8a16")) {
                assertTrue(!line.strip().endsWith("?"), "a cell without a budget: " + line);
            }
        }
    }
}
