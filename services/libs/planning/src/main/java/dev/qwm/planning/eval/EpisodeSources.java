package dev.qwm.planning.eval;

import dev.qwm.env.Environment;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.FrameStyle;
import dev.qwm.env.dataset.Split;
import dev.qwm.env.eval.DatasetSegmentGoals;
import dev.qwm.env.eval.StartGoal;
import dev.qwm.env.eval.StartGoalSource;
import dev.qwm.env.eval.WallRandomStateGoals;
import dev.qwm.env.registry.Environments;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.planning.DataSplit;
import dev.qwm.planning.mpc.EpisodeSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Function;

/** The evaluation episodes of each task, drawn as DINO-WM draws them (by the environments library). */
public final class EpisodeSources {

    private EpisodeSources() {
    }

    /**
     * The episodes a bundle plans: its environment, drawing the frames its model was trained on (the manifest's
     * {@code frameStyle}). Every path that plans or evaluates a bundle makes its episodes here or below.
     */
    public static EpisodeSource forBundle(BundleManifest manifest, Path dataset) {
        return forEnvironment(manifest.environment(), FrameStyle.parse(manifest.frameStyle()), dataset);
    }

    /**
     * The episodes of {@code environment}, its frames drawn in {@code style}: Wall needs nothing, PushT needs a dataset
     * folder (its validation split gives evaluation goals, its training split calibration goals).
     */
    public static EpisodeSource forEnvironment(String environment, FrameStyle style, Path dataset) {
        return switch (EnvironmentKind.parse(environment)) {
            case WALL -> wall(style);
            case PUSHT -> {
                if (dataset == null) {
                    throw new IllegalArgumentException("PushT evaluation goals are 25-step segments of a dataset's "
                            + "trajectories: give its folder (make one with ./qwm dataset --env pusht --out "
                            + ".qwm/data/pusht)");
                }
                yield pushT(dataset, style);
            }
        };
    }

    /**
     * Wall ({@code goal_source: random_state}): {@code generate_random_state(seed)} puts start and goal in opposite
     * rooms. The layout is DINO-WM's fixed one on both splits, so the split changes nothing.
     */
    public static EpisodeSource wall() {
        return wall(FrameStyle.QWM);
    }

    /** As {@link #wall()}, its frames drawn in {@code style} (the same frames in both). */
    public static EpisodeSource wall(FrameStyle style) {
        WallRandomStateGoals goals = new WallRandomStateGoals();
        return new StartGoalEpisodes(EnvironmentKind.WALL.cliName(), style, split -> goals);
    }

    /**
     * PushT ({@code goal_source: dset}): a trajectory and offset drawn with the episode's seed from the dataset
     * split, its state there as start, the state after replaying its next 25 actions as goal (reachable in 5 macro
     * actions). Each split is read when first needed.
     */
    public static EpisodeSource pushT(Path dataset) {
        return pushT(dataset, FrameStyle.QWM);
    }

    /** As {@link #pushT(Path)}, its frames drawn in {@code style}. */
    public static EpisodeSource pushT(Path dataset, FrameStyle style) {
        if (!Files.isDirectory(dataset)) {
            throw new IllegalArgumentException("PushT dataset " + dataset + " is not a folder (make one with "
                    + "./qwm dataset --env pusht --out " + dataset + ")");
        }
        return new StartGoalEpisodes(EnvironmentKind.PUSHT.cliName(), style, split -> {
            try {
                DatasetSegmentGoals goals = DatasetSegmentGoals.load(dataset,
                        split == DataSplit.TRAIN ? Split.TRAIN : Split.VALIDATION);
                if (goals.kind() != EnvironmentKind.PUSHT) {
                    throw new IllegalArgumentException("dataset " + dataset + " is a " + goals.kind().cliName()
                            + " dataset, not pusht");
                }
                return goals;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read PushT goals from " + dataset + ": " + e.getMessage(), e);
            }
        });
    }

    /** Episodes from the environments library's start/goal sources, one per split. */
    private static final class StartGoalEpisodes implements EpisodeSource {
        private final String environment;
        private final EnvironmentKind kind;
        private final FrameStyle style;
        private final Function<DataSplit, StartGoalSource> loader;
        private final Map<DataSplit, StartGoalSource> sources = new EnumMap<>(DataSplit.class);

        StartGoalEpisodes(String environment, FrameStyle style, Function<DataSplit, StartGoalSource> loader) {
            this.environment = environment;
            this.kind = EnvironmentKind.parse(environment);
            this.style = java.util.Objects.requireNonNull(style, "style");
            this.loader = loader;
        }

        @Override
        public String environment() {
            return environment;
        }

        @Override
        public FrameStyle frameStyle() {
            return style;
        }

        @Override
        public Environment newEnvironment() {
            return Environments.create(kind, style);
        }

        @Override
        public synchronized EpisodeSpec episode(int index, long seed, DataSplit split) {
            StartGoal pair = sources.computeIfAbsent(split, loader).sample(seed);
            return new EpisodeSpec(index, seed, split, pair.start(), pair.goal(), pair.origin());
        }
    }
}
