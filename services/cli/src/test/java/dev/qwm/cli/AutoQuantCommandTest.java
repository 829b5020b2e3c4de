package dev.qwm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AutoQuantCommandTest {

    /** A small search: two candidates ranked by drift, one confirmed besides the baseline, at a tiny planner budget. */
    private static String[] small(Path fp, Path out, String... more) {
        String[] common = {"autoquant", "--bundle", fp.toString(), "--budget", "bytes=0.5", "--out", out.toString(),
                "--calibration-episodes", "1", "--drift-segments", "2", "--drift-candidates", "2", "--confirm", "1",
                "--samples", "8", "--topk", "2", "--opt-steps", "1", "--max-iter", "1"};
        String[] all = java.util.Arrays.copyOf(common, common.length + more.length);
        System.arraycopy(more, 0, all, common.length, more.length);
        return all;
    }

    private static int execute(StringWriter err, String... args) {
        CliRun run = CliRun.of(args);
        err.write(run.err());
        return run.exit();
    }

    @Tag("slow")
    @Test
    void aSearchStaysUnderItsBudgetIsResumedWithoutPlanningConfirmedCandidatesAgainAndWritesItsFront(@TempDir Path dir)
            throws Exception {
        Path fp = QuantizeCommandTest.randomWallBundle(dir.resolve("fp"));
        Path out = dir.resolve("aq");
        Path work = dir.resolve(".aq.autoquant-work");
        StringWriter err = new StringWriter();

        assertEquals(5, execute(err, small(fp, out, "--max-episodes", "3", "--stop-after-confirmed", "1")), err.toString());
        assertFalse(Files.exists(out), "nothing is in --out before the search ends");
        List<String> confirmed = Files.readAllLines(work.resolve("confirmed.jsonl"));
        assertEquals(1, confirmed.size());
        JsonNode firstLine = new ObjectMapper().readTree(confirmed.get(0));
        String first = firstLine.get("name").asText();
        Path firstLogFile = work.resolve("verify").resolve(first + ".episodes.jsonl");
        if (firstLine.get("verdict").asText().equals("UNDECIDED")) {
            // more pairs allowed: the undecided candidate goes on from its episodes
            List<String> three = Files.readAllLines(firstLogFile);
            assertEquals(5, execute(err, small(fp, out, "--resume", "--max-episodes", "4", "--stop-after-confirmed", "1")),
                    err.toString());
            List<String> four = Files.readAllLines(firstLogFile);
            assertEquals(three, four.subList(0, 3));
            assertEquals(4, four.size());
            confirmed = Files.readAllLines(work.resolve("confirmed.jsonl"));
            assertEquals(2, confirmed.size(), "a second line for the candidate, read as the one that holds");
            confirmed = List.of(confirmed.get(1));
        }
        byte[] firstLog = Files.readAllBytes(firstLogFile);
        byte[] reference = Files.readAllBytes(work.resolve("verify/reference.episodes.jsonl"));

        assertEquals(1, execute(err, small(fp, out)));
        assertTrue(err.toString().contains("pass --resume to go on from it, or --force"), err.toString());
        assertEquals(1, execute(err, small(fp, out, "--resume", "--margin", "0.1")));
        assertTrue(err.toString().contains("ran with margin 0.05, this one asks for 0.1"), err.toString());

        int exit = execute(err, small(fp, out, "--resume", "--max-episodes", "4"));
        assertTrue(exit == 0 || exit == 4, err.toString());
        assertFalse(Files.exists(work), "the working folder goes once the result is written");
        // the confirmed candidate was taken as it was: its line and its episodes, not planned again
        List<String> after = Files.readAllLines(out.resolve("confirmed.jsonl"));
        assertTrue(after.contains(confirmed.get(0)), after.toString());
        assertTrue(java.util.Arrays.equals(firstLog, Files.readAllBytes(out.resolve("verify").resolve(first + ".episodes.jsonl"))));
        assertTrue(new String(Files.readAllBytes(out.resolve("verify/reference.episodes.jsonl")), StandardCharsets.UTF_8)
                .startsWith(new String(reference, StandardCharsets.UTF_8)), "FP's episodes are kept and reused");
        assertEquals(2, after.stream().map(l -> l.substring(0, l.indexOf(',')))
                .distinct().count(), "the best candidate and uniform W4 RTN per channel");

        JsonNode summary = new ObjectMapper().readTree(out.resolve("autoquant.json").toFile());
        long limit = (long) Math.floor(0.5 * summary.get("fullPrecisionBytes").asLong());
        assertTrue(summary.get("candidates").size() >= 2);
        for (JsonNode c : summary.get("candidates")) {
            assertTrue(c.get("bytes").asLong() <= limit, c + " over " + limit);
            assertTrue(Files.exists(out.resolve("candidates").resolve(c.get("name").asText() + ".yaml")));
        }
        String front = Files.readString(out.resolve("front.md"));
        assertTrue(front.contains("| " + AutoQuantCommand.BASELINE + " |"), front);
        assertTrue(Files.readString(out.resolve("front.svg")).contains("<svg"));
        if (exit == 0) {
            assertTrue(Files.exists(out.resolve("recipe.yaml")) && Files.exists(out.resolve("bundle/model.json")));
        }

        assertEquals(1, execute(err, small(fp, out)));
        assertTrue(err.toString().contains("already holds an autoquant result"), err.toString());
    }

    @Tag("slow")
    @Test
    void aTimeBudgetListsEveryTimedCandidateWithItsTimeTheStaticW8a8AmongThem(@TempDir Path dir) throws Exception {
        Path fp = QuantizeCommandTest.randomWallBundle(dir.resolve("fp"));
        Path out = dir.resolve("aq");
        String[] args = small(fp, out, "--max-episodes", "3");
        // a hundredth of FP's time: no format comes near, on any CPU, so every timed candidate is over
        args[4] = "ms=0.01";
        StringWriter err = new StringWriter();
        assertEquals(4, execute(err, args), err.toString());
        JsonNode summary = new ObjectMapper().readTree(out.resolve("autoquant.json").toFile());
        List<String> names = new java.util.ArrayList<>();
        for (JsonNode c : summary.get("candidates")) {
            names.add(c.get("name").asText());
            assertEquals("OVER", c.get("fit").asText(), c.toString());
            assertTrue(c.get("costRatio").asDouble() > 0.01, c.toString());
        }
        // 3 x --drift-candidates by layer noise, the baseline, and the static W8A8 (QDQ / MatMulIntegerToFloat)
        assertEquals(8, names.size(), names.toString());
        assertTrue(names.contains("rtn-w8-a8-tensor") && names.contains(AutoQuantCommand.BASELINE), names.toString());
        String recipe = Files.readString(out.resolve("candidates/rtn-w8-a8-tensor.yaml"));
        // calibrated as the layers were measured: the search's calibration episodes, written into its recipe
        assertTrue(recipe.contains("granularity: tensor") && recipe.contains("episodes: 1"), recipe);
        assertTrue(summary.get("confirmed").isEmpty(), "nothing over the budget is confirmed");
        String front = Files.readString(out.resolve("front.md"));
        // 10 weight formats x RTN and OMSE, the 10 with int8 activations inside the kernel (RTN), and static W8A8
        assertTrue(front.contains("from 31 measured formats") && front.contains("8 quantized and timed: 0 under ms=0.01"),
                front);
        assertFalse(front.contains("under the budget from"), front);
        assertTrue(front.contains("| rtn-w8-a8-tensor |") && front.contains("| over |"), front);
        assertTrue(front.contains("exceeds the spread of the repetitions"), front);
    }

    @Test
    void badBudgetsAreRefusedByName(@TempDir Path dir) {
        Path fp = QuantizeCommandTest.randomWallBundle(dir.resolve("fp"));
        for (String[] c : new String[][]{{"size=0.25", "unknown cost 'size'"}, {"bytes=abc", "'abc' is not a number"},
                {"bytes=1.5", "must lie in (0, 1]"}, {"bytes=0", "must lie in (0, 1]"}, {"0.25", "has no '='"}}) {
            StringWriter err = new StringWriter();
            assertEquals(1, execute(err, "autoquant", "--bundle", fp.toString(), "--budget", c[0], "--out",
                    dir.resolve("x").toString()), c[0]);
            assertTrue(err.toString().contains(c[1]), c[0] + ": " + err);
        }
        StringWriter err = new StringWriter();
        assertEquals(1, execute(err, small(fp, dir.resolve("y"), "--resume")));
        assertTrue(err.toString().contains("no interrupted search"), err.toString());
    }
}
