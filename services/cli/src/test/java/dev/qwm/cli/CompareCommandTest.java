package dev.qwm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code ./qwm compare} on the repository's own PushT logs, whose paired figures the PushT README states. */
class CompareCommandTest {

    static final Path PUSHT = Path.of("../../docs/evals/pusht").toAbsolutePath().normalize();
    static final Path BEFORE = PUSHT.resolve("model-bafab2a");

    @Test
    void theShippedPushtModelAgainstTheOneBeforeOnTheSameFiftyEpisodes() {
        String out = CliRun.ok("compare", PUSHT.resolve("eval-pusht-max-iter5.episodes.jsonl.gz").toString(),
                BEFORE.resolve("eval-pusht-max-iter5.episodes.jsonl.gz").toString());
        // docs/evals/pusht/README.md: 41/50 against 35/50, 10 episodes gained and 4 lost
        assertTrue(out.contains("first 41/50 = 0.82"), out);
        assertTrue(out.contains("second 35/50 = 0.70"), out);
        assertTrue(out.contains("both 31, first only 10, second only 4, neither 5"), out);
        assertTrue(out.contains("+0.120"), out);
        assertTrue(out.contains("(14 discordant pairs)"), out);
        // the same planner on both sides: one line for it
        assertTrue(out.contains("300×30 CEM, 5 MPC, planner seed 0") && !out.contains("planner, first"), out);
    }

    @Test
    void aLogMadeAtALargerMaxIterIsReadAtTheSmallerOne() {
        Path mi5 = PUSHT.resolve("eval-pusht-max-iter5.episodes.jsonl.gz");
        // every success of the max-iter-5 log came within two iterations (README): 41 at 2 as at 5, and 39 at 1
        assertTrue(CliRun.ok("compare", mi5.toString(), mi5.toString(), "--max-iter", "2")
                .contains("both 41, first only 0, second only 0, neither 9"));
        String one = CliRun.ok("compare", mi5.toString(), mi5.toString(), "--max-iter", "1");
        assertTrue(one.contains("both 39, first only 0, second only 0, neither 11"), one);
        assertTrue(one.contains("read at --max-iter 1"), one);
    }

    @Test
    void differentPlannersOnTheSameEpisodesAreComparedAndNamed() {
        String out = CliRun.ok("compare", PUSHT.resolve("eval-pusht-alpha0.episodes.jsonl.gz").toString(),
                BEFORE.resolve("eval-pusht-alpha0.episodes.jsonl.gz").toString());
        // README: 31/50 visual term alone against the model before's 13/50, 20 gained and 2 lost
        assertTrue(out.contains("both 11, first only 20, second only 2, neither 17"), out);
        String mixed = CliRun.ok("compare", PUSHT.resolve("eval-pusht-alpha0.episodes.jsonl.gz").toString(),
                PUSHT.resolve("eval-pusht-max-iter5.episodes.jsonl.gz").toString());
        assertTrue(mixed.contains("planner, first") && mixed.contains("planner, second"), mixed);
    }

    @Test
    void logsThatCannotBePairedAreRefusedNamingWhy() {
        CliRun tooFew = CliRun.of("compare", PUSHT.resolve("eval-pusht-alpha0.episodes.jsonl.gz").toString(),
                PUSHT.resolve("eval-pusht-max-iter5.episodes.jsonl.gz").toString(), "--max-iter", "3");
        assertNotEquals(0, tooFew.exit());
        assertTrue(tooFew.err().contains("planned with max-iter 2: it cannot be read at --max-iter 3"), tooFew.err());
        CliRun otherTask = CliRun.of("compare", PUSHT.resolve("eval-pusht-alpha0.episodes.jsonl.gz").toString(),
                Path.of("../../docs/evals/wall/eval-wall-alpha0.episodes.jsonl.gz").toString());
        assertNotEquals(0, otherTask.exit());
        assertTrue(otherTask.err().contains("is not the same episode in both logs"), otherTask.err());
        CliRun missing = CliRun.of("compare", PUSHT.resolve("no-such.episodes.jsonl").toString(),
                PUSHT.resolve("eval-pusht-alpha0.episodes.jsonl.gz").toString());
        assertNotEquals(0, missing.exit());
        assertTrue(missing.err().contains("no-such.episodes.jsonl"), missing.err());
        assertEquals(0, missing.out().length(), missing.out());
    }
}
