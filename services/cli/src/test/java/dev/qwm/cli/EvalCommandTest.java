package dev.qwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvalCommandTest {

    @Test
    void oracleEvaluationPrintsOneJsonObjectAndWritesEveryEpisode(@TempDir Path dir) throws Exception {
        Path results = dir.resolve("results.json");
        String printed = CliRun.ok("eval", "--oracle", "--env", "wall", "--episodes", "3",
                "--max-iter", "3", "--opt-steps", "5", "--json", "--results", results.toString());
        ObjectMapper json = new ObjectMapper();
        JsonNode summary = json.readTree(printed);
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
    void anInterruptedEvaluationResumesFromItsEpisodeLog(@TempDir Path dir) throws Exception {
        String[] run = {"eval", "--oracle", "--env", "wall", "--episodes", "3", "--max-iter", "2", "--opt-steps", "3",
                "--json", "--results", dir.resolve("whole.json").toString()};
        JsonNode whole = new ObjectMapper().readTree(stdoutOf(run));

        // a run killed during its third episode: two finished lines, the third cut off mid-write
        Path log = dir.resolve("cut.json.episodes.jsonl");
        java.util.List<String> lines = java.nio.file.Files.readAllLines(dir.resolve("whole.json.episodes.jsonl"));
        java.nio.file.Files.writeString(log, lines.get(0) + "\n" + lines.get(1) + "\n"
                + lines.get(2).substring(0, 40));
        run[run.length - 1] = dir.resolve("cut.json").toString();
        String[] resume = java.util.Arrays.copyOf(run, run.length + 1);
        resume[run.length] = "--resume";
        JsonNode resumed = new ObjectMapper().readTree(stdoutOf(resume));

        assertEquals(3, resumed.get("episodes").asInt());
        assertEquals(whole.get("successes").asInt(), resumed.get("successes").asInt());
        assertEquals(whole.get("mean_final_state_distance").asDouble(),
                resumed.get("mean_final_state_distance").asDouble(), 1e-12);
        java.util.List<String> after = java.nio.file.Files.readAllLines(log);
        assertEquals(3, after.size(), "two kept and the one planned again; the cut line is gone");
        for (String line : after) {
            new ObjectMapper().readTree(line); // every line is whole JSON again
        }

        // resuming a finished log plans nothing and reports the same evaluation again
        JsonNode again = new ObjectMapper().readTree(stdoutOf(resume));
        assertEquals(whole.get("successes").asInt(), again.get("successes").asInt());
        assertTrue(again.get("episodes_per_minute").isNull(), "no episode was planned: " + again);
        assertEquals(3, java.nio.file.Files.readAllLines(log).size());

        // the same log with another budget is refused, naming what differs
        String[] otherBudget = resume.clone();
        otherBudget[7] = "4"; // --max-iter 4 instead of 2
        StringWriter err = new StringWriter();
        var cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute(otherBudget));
        assertTrue(err.toString().contains("finished episode 0 ran"), err.toString());
    }

    @Test
    void anExistingReportAndLogAreNeverEmptiedAndReplacedOnlyWithForce(@TempDir Path dir) throws Exception {
        Path results = dir.resolve("run.json");
        Path log = Path.of(results + ".episodes.jsonl");
        String[] run = {"eval", "--oracle", "--env", "wall", "--episodes", "2", "--max-iter", "2", "--opt-steps", "3",
                "--json", "--results", results.toString()};
        stdoutOf(run);
        byte[] report = java.nio.file.Files.readAllBytes(results);
        byte[] episodes = java.nio.file.Files.readAllBytes(log);

        StringWriter err = new StringWriter();
        var cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute(run));
        assertTrue(err.toString().contains("--results " + results + " already holds an evaluation report; pass --resume "
                + "to go on from it, or --force to replace it"), err.toString());
        assertTrue(java.util.Arrays.equals(report, java.nio.file.Files.readAllBytes(results)));
        assertTrue(java.util.Arrays.equals(episodes, java.nio.file.Files.readAllBytes(log)), "the episode log is untouched");

        // the log alone (a run interrupted before its report) is refused just the same
        java.nio.file.Files.delete(results);
        err = new StringWriter();
        cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute(run));
        assertTrue(err.toString().contains("--results " + log + " already holds an episode log"), err.toString());
        assertTrue(java.util.Arrays.equals(episodes, java.nio.file.Files.readAllBytes(log)));

        String[] forced = java.util.Arrays.copyOf(run, run.length + 1);
        forced[run.length] = "--force";
        forced[5] = "3"; // --episodes 3
        stdoutOf(forced);
        assertEquals(3, java.nio.file.Files.readAllLines(log).size(), "the new run's log replaced the old one");
        assertEquals(3, new ObjectMapper().readTree(results.toFile()).get("results").size());
        try (var files = java.nio.file.Files.list(dir)) {
            assertEquals(java.util.List.of("run.json", "run.json.episodes.jsonl"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no staging file is left");
        }
    }

    private static String stdoutOf(String... args) {
        return CliRun.ok(args);
    }

    @Test
    void theBudgetIsBuiltFromAllItsOptionsBeforeItIsChecked() throws Exception {
        JsonNode small = new ObjectMapper().readTree(stdoutOf("eval", "--oracle", "--env", "wall", "--episodes", "1",
                "--samples", "20", "--topk", "5", "--opt-steps", "1", "--max-iter", "1", "--json"));
        assertEquals(20, small.get("budget").get("samples").asInt());
        assertEquals(5, small.get("budget").get("top_k").asInt());

        StringWriter err = new StringWriter();
        var cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute("eval", "--oracle", "--env", "wall", "--episodes", "1", "--samples", "20"));
        assertTrue(err.toString().contains("topK (30) cannot exceed samples (20)"), err.toString());
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

        StringWriter err3 = new StringWriter();
        cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err3));
        assertEquals(1, cli.execute("eval", "--oracle", "--env", "wall", "--true-dynamics"));
        assertTrue(err3.toString().contains("--true-dynamics scores in a bundle's latent space"), err3.toString());
    }
}
