package dev.qwm.env.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.dataset.DatasetGenerator;
import dev.qwm.env.dataset.DatasetReader;
import dev.qwm.env.dataset.Episode;
import dev.qwm.env.dataset.Split;
import dev.qwm.env.pusht.PushTEnvironment;
import dev.qwm.env.pusht.PushTEpisodeGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartGoalSourceTest {

    @TempDir
    static Path tmp;
    static Path pusht;

    @BeforeAll
    static void dataset() throws IOException {
        pusht = tmp.resolve("pusht");
        DatasetGenerator.generate(new PushTEpisodeGenerator(3), new DatasetGenerator.Options(20, 40, 16, 3, 0.25, 2, 1),
                pusht, n -> { });
    }

    @Test
    void evaluationSeedsAreDinoWms() {
        assertEquals(1, StartGoalSource.evalSeed(0));
        assertEquals(100, StartGoalSource.evalSeed(1));
        assertEquals(4852, StartGoalSource.evalSeed(49));
        assertEquals(101, StartGoalSource.calibrationSeed(1));
    }

    @Test
    void wallGoalsAreRandomState() {
        StartGoal sg = new WallRandomStateGoals().sample(1);
        assertArrayEquals(new double[] {51.50990578064728, 7.405627241013368}, sg.start(), 0.0);
        assertArrayEquals(new double[] {14.989800485586848, 22.27476257348652}, sg.goal(), 0.0);
    }

    @Test
    void pushtGoalIsTheReplayOfAValidationSegment() throws IOException {
        DatasetSegmentGoals goals = DatasetSegmentGoals.load(pusht, Split.VALIDATION);
        assertEquals(EnvironmentKind.PUSHT, goals.kind());
        assertEquals(5, goals.trajectories());
        List<Episode> val = DatasetReader.open(pusht).readAll(Split.VALIDATION, false);
        for (int n = 0; n < 10; n++) {
            long seed = StartGoalSource.evalSeed(n);
            StartGoal sg = goals.sample(seed);
            assertArrayEquals(sg.start(), goals.sample(seed).start(), 0.0);
            assertArrayEquals(sg.goal(), goals.sample(seed).goal(), 0.0);
            // the start is a recorded validation state
            boolean found = false;
            for (Episode e : val) {
                for (int t = 0; t <= e.steps() && !found; t++) {
                    found = java.util.Arrays.equals(e.state(t), sg.start());
                }
            }
            assertTrue(found, "start state is not from the validation split: " + sg.origin());
            // the planner's reset + the 25 recorded actions reach the goal exactly
            PushTEnvironment env = new PushTEnvironment();
            env.reset(sg.start());
            assertTrue(sg.origin().startsWith("validation episode "), sg.origin());
            String[] steps = sg.origin().replaceAll(".*steps ", "").split("\\.\\.");
            int offset = Integer.parseInt(steps[0]);
            int index = Integer.parseInt(sg.origin().replaceAll("validation episode (\\d+),.*", "$1"));
            Episode e = val.stream().filter(x -> x.index() == index).findFirst().orElseThrow();
            for (int t = offset; t < offset + 25; t++) {
                env.step(e.action(t));
            }
            assertTrue(env.isSuccess(sg.goal()));
            assertArrayEquals(sg.goal(), env.state(), 0.0);
        }
        assertNotEquals(goals.sample(1).origin() + java.util.Arrays.toString(goals.sample(1).goal()),
                goals.sample(100).origin() + java.util.Arrays.toString(goals.sample(100).goal()));
    }

    @Test
    void segmentsLongerThanTheTrajectoriesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DatasetSegmentGoals.load(pusht, Split.TRAIN, 41));
        assertTrue(e.getMessage().contains("41 steps"), e.getMessage());
    }
}
