package dev.qwm.env.eval;

import dev.qwm.env.Environment;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.FrameStyle;
import dev.qwm.env.dataset.DatasetReader;
import dev.qwm.env.dataset.Episode;
import dev.qwm.env.dataset.Split;
import dev.qwm.env.random.NumpyRandomState;
import dev.qwm.env.registry.Environments;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * DINO-WM's {@code goal_source: dset} (PushT): pick a trajectory of a dataset split and an offset, start from its
 * state there (velocity included), replay its next {@code goalSteps} recorded actions in the simulator, and take the
 * state reached as the goal. Every goal is therefore reachable in goalSteps env steps (25 = 5 macro actions).
 *
 * <p>DINO-WM draws the trajectory and offset for all episodes from one Python {@code random} seeded 99; here each
 * episode draws them from {@code RandomState(seed)} so that any single seed can be reproduced on its own: trajectory
 * uniform among those long enough, offset uniform in [0, T − goalSteps].
 */
public final class DatasetSegmentGoals implements StartGoalSource {

    /** frameskip 5 × goal horizon 5. */
    public static final int DEFAULT_GOAL_STEPS = 25;

    private final EnvironmentKind kind;
    private final Split split;
    private final int goalSteps;
    private final List<Episode> episodes;

    private DatasetSegmentGoals(EnvironmentKind kind, Split split, int goalSteps, List<Episode> episodes) {
        this.kind = kind;
        this.split = split;
        this.goalSteps = goalSteps;
        this.episodes = episodes;
    }

    /** Reads {@code split} of the dataset in {@code dir} (states and actions only). */
    public static DatasetSegmentGoals load(Path dir, Split split, int goalSteps) throws IOException {
        if (goalSteps < 1) {
            throw new IllegalArgumentException("goal steps must be >= 1, got " + goalSteps);
        }
        DatasetReader reader = DatasetReader.open(dir);
        EnvironmentKind kind = EnvironmentKind.parse(reader.manifest().environment());
        List<Episode> usable = new ArrayList<>();
        for (Episode e : reader.readAll(split, false)) {
            if (e.steps() >= goalSteps) {
                usable.add(e);
            }
        }
        if (usable.isEmpty()) {
            throw new IllegalArgumentException(dir + ": no " + split.id() + " trajectory has " + goalSteps
                    + " steps for a goal segment");
        }
        return new DatasetSegmentGoals(kind, split, goalSteps, usable);
    }

    public static DatasetSegmentGoals load(Path dir, Split split) throws IOException {
        return load(dir, split, DEFAULT_GOAL_STEPS);
    }

    @Override
    public EnvironmentKind kind() {
        return kind;
    }

    public int goalSteps() {
        return goalSteps;
    }

    public int trajectories() {
        return episodes.size();
    }

    @Override
    public StartGoal sample(long seed) {
        NumpyRandomState rs = new NumpyRandomState(seed);
        Episode e = episodes.get((int) rs.randint(0, episodes.size()));
        int offset = (int) rs.randint(0, e.steps() - goalSteps + 1);
        double[] start = e.state(offset);
        Environment env = Environments.create(kind, FrameStyle.QWM); // replays states only: no frame is drawn
        env.reset(start);
        for (int t = 0; t < goalSteps; t++) {
            env.step(e.action(offset + t));
        }
        return new StartGoal(seed, start, env.state(), split.id() + " episode " + e.index() + ", steps " + offset + ".."
                + (offset + goalSteps));
    }
}
