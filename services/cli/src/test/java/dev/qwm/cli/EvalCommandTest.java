package dev.qwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvalCommandTest {

    @Test
    void oracleEvaluationPrintsOneJsonObjectAndWritesEveryEpisode(@TempDir Path dir) throws Exception {
        Path results = dir.resolve("results.json");
        PrintStream stdout = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = QwmCommand.commandLine().execute("eval", "--oracle", "--env", "wall", "--episodes", "3",
                    "--max-iter", "3", "--opt-steps", "5", "--json", "--results", results.toString());
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, code);
        ObjectMapper json = new ObjectMapper();
        JsonNode summary = json.readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals(3, summary.get("episodes").asInt());
        double rate = summary.get("success_rate").asDouble();
        assertTrue(summary.get("ci95_low").asDouble() <= rate && rate <= summary.get("ci95_high").asDouble());
        assertTrue(summary.get("ms_per_cem_step").asDouble() > 0);
        assertEquals(5, summary.get("budget").get("opt_steps").asInt());
        assertEquals(1, summary.get("seeding").get("seed_offset").asInt());

        JsonNode full = json.readTree(results.toFile());
        assertEquals(3, full.get("results").size());
        JsonNode first = full.get("results").get(0);
        assertEquals(1, first.get("episodeSeed").asInt());
        assertEquals("oracle:wall", first.get("modelReference").asText());
        assertEquals(first.get("mpcIterations").asInt(), first.get("iterations").size());
        java.util.List<String> lines = java.nio.file.Files.readAllLines(Path.of(results + ".episodes.jsonl"));
        assertEquals(3, lines.size(), "one line per finished episode");
        assertEquals(3, lines.stream().map(l -> {
            try {
                return json.readTree(l).get("episodeIndex").asInt();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).distinct().count());
    }

    @Test
    void badArgumentsNameTheProblem() {
        StringWriter err = new StringWriter();
        var cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute("eval", "--oracle", "--episodes", "1"));
        assertTrue(err.toString().contains("--env wall|pusht is required"), err.toString());

        StringWriter err2 = new StringWriter();
        cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err2));
        assertEquals(1, cli.execute("eval", "--bundle", "/nonexistent/bundle"));
        assertTrue(err2.toString().contains("not a folder"), err2.toString());
    }
}
