package dev.qwm.cli;

import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.FrameStyle;
import dev.qwm.env.dataset.DatasetGenerator;
import dev.qwm.env.dataset.DatasetManifest;
import dev.qwm.env.dataset.DatasetReader;
import dev.qwm.env.dataset.Episode;
import dev.qwm.env.dataset.EpisodeGenerator;
import dev.qwm.env.dataset.EpisodeStream;
import dev.qwm.env.dataset.DatasetNormalization;
import dev.qwm.env.dataset.Split;
import dev.qwm.env.pusht.PushTEpisodeGenerator;
import dev.qwm.env.pusht.PushTPushingPolicy;
import dev.qwm.env.wall.WallEpisodeGenerator;
import dev.qwm.files.StagedWrite;
import dev.qwm.progress.ProgressLine;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./qwm dataset --env wall|pusht --episodes N --out DIR}: generates a training dataset (format in
 * services/libs/environments/README.md); {@code ./qwm dataset info|verify DIR} inspects one.
 */
@Command(name = "dataset", mixinStandardHelpOptions = true,
        description = {"Generate a training dataset for an environment (frames, actions, states, proprio; "
                + "train/validation split; normalisation statistics).",
                "Example: ./qwm dataset --env wall --episodes 1920 --out data/wall"},
        subcommands = {DatasetCommand.Info.class, DatasetCommand.Verify.class})
public final class DatasetCommand implements Callable<Integer> {

    @Option(names = "--env", description = "wall or pusht.")
    String env;

    @Option(names = "--out", description = "Output directory (created; must not already hold a dataset unless --force).")
    Path out;

    @Option(names = "--episodes", description = "Trajectories over both splits (default: wall 1920 as DINO-WM, pusht 1000).")
    Integer episodes;

    @Option(names = "--steps", description = "Actions per trajectory (default: wall 50 as DINO-WM, pusht 100).")
    Integer steps;

    @Option(names = "--image-size", defaultValue = "64", description = "Frame side in pixels (default: ${DEFAULT-VALUE}; DINO-WM uses 224).")
    int imageSize;

    @Option(names = "--seed", defaultValue = "0", description = "Generation seed (default: ${DEFAULT-VALUE}); same seed, same bytes.")
    long seed;

    @Option(names = "--val-fraction", defaultValue = "0.1", description = "Share of trajectories held out for validation (default: ${DEFAULT-VALUE}).")
    double validationFraction;

    @Option(names = "--door-share", defaultValue = "" + WallEpisodeGenerator.DEFAULT_DOOR_SHARE,
            description = "Wall: share of door-seeking trajectories (default: ${DEFAULT-VALUE}; 0 = DINO-WM's pure random walk).")
    double doorShare;

    @Option(names = "--action-noise", split = ",", defaultValue = "" + PushTPushingPolicy.DEFAULT_NOISE,
            description = "PushT: action noise levels (sigma per dimension, units of 100 px); trajectory i uses level "
                    + "i mod count (default: ${DEFAULT-VALUE}), e.g. 0.03,0.1,0.2.")
    double[] actionNoise;

    @Option(names = "--frame-style", defaultValue = "qwm", description = "PushT: qwm (what the shipped models were "
            + "trained on) or dinowm (DINO-WM's renderer: pygame at 512 px, cv2 to --image-size); Wall's frames are the "
            + "same in both (default: ${DEFAULT-VALUE}).")
    String frameStyle;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--compression", defaultValue = "4", description = "Deflate level of the frames, 1..9 (default: ${DEFAULT-VALUE}).")
    int compression;

    @Option(names = "--force", description = "Replace a dataset already in --out (kept until the new one is complete).")
    boolean force;

    @Override
    public Integer call() throws Exception {
        if (env == null || out == null) {
            throw new IllegalArgumentException("--env and --out are required (e.g. ./qwm dataset --env wall --out data/wall)");
        }
        EnvironmentKind kind = EnvironmentKind.parse(env);
        if (kind != EnvironmentKind.PUSHT && !(actionNoise.length == 1 && actionNoise[0] == PushTPushingPolicy.DEFAULT_NOISE)) {
            throw new IllegalArgumentException("--action-noise applies to pusht only (Wall's walk has --door-share)");
        }
        // refused now rather than after the generation; the old dataset stays until the new one is complete
        StagedWrite target = DatasetManifest.target(out, "--out").force(force).check();
        int n = episodes != null ? episodes : defaultEpisodes(kind);
        int t = steps != null ? steps : defaultSteps(kind);
        int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        DatasetGenerator.Options options = new DatasetGenerator.Options(n, t, imageSize, seed, validationFraction,
                workers, compression);
        EpisodeGenerator generator = generator(kind);

        long start = System.nanoTime();
        DatasetManifest m;
        try (ProgressLine bar = ProgressLine.on(System.err).task(kind.cliName() + " dataset").total(n).unit("ep")
                .start()) {
            m = DatasetGenerator.generate(generator, options, target, bar::stepTo);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "wrote %s: %d episodes x %d steps in %.1f s (%.1f episodes/s, %.0f env steps/s incl. rendering)%n",
                out, n, t, seconds, n / seconds, (double) n * t / seconds);
        printSummary(m, out);
        return 0;
    }

    static int defaultEpisodes(EnvironmentKind kind) {
        return kind == EnvironmentKind.WALL ? 1920 : 1000;
    }

    static int defaultSteps(EnvironmentKind kind) {
        return kind == EnvironmentKind.WALL ? 50 : 100;
    }

    private EpisodeGenerator generator(EnvironmentKind kind) {
        FrameStyle style = FrameStyle.parse(frameStyle); // refused by name for Wall too, whose frames it cannot change
        return switch (kind) {
            case WALL -> new WallEpisodeGenerator(seed, doorShare, WallEpisodeGenerator.DEFAULT_MAX_STEP);
            case PUSHT -> new PushTEpisodeGenerator(seed, actionNoise, style);
        };
    }

    static void printSummary(DatasetManifest m, Path dir) {
        System.out.printf(Locale.ROOT, "%s, %dx%d frames, %d train + %d validation episodes%n", m.environment(),
                m.imageSize(), m.imageSize(), m.split(Split.TRAIN).episodes(), m.split(Split.VALIDATION).episodes());
        for (Split s : Split.values()) {
            DatasetManifest.SplitFile f = m.split(s);
            System.out.printf(Locale.ROOT, "  %-10s %s  %,d bytes  sha256 %s%n", s.id(), dir.resolve(f.file()), f.bytes(),
                    f.sha256());
        }
        DatasetNormalization z = m.normalization();
        System.out.println("  action  mean " + fmt(z.actionMean()) + "  std " + fmt(z.actionStd()));
        System.out.println("  proprio mean " + fmt(z.proprioMean()) + "  std " + fmt(z.proprioStd()));
        for (Map.Entry<String, Object> e : m.metrics().entrySet()) {
            Object v = e.getValue();
            System.out.println("  " + e.getKey() + " = " + (v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : v));
        }
    }

    private static String fmt(double[] v) {
        return Arrays.stream(v).mapToObj(x -> String.format(Locale.ROOT, "%.4f", x))
                .reduce((a, b) -> a + ", " + b).map(s -> "[" + s + "]").orElse("[]");
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Print a dataset's manifest summary.")
    static final class Info implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "Dataset directory.")
        Path dir;

        @Override
        public Integer call() throws IOException {
            printSummary(DatasetReader.open(dir).manifest(), dir);
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true, description = "Check a dataset's checksums and read every episode.")
    static final class Verify implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "Dataset directory.")
        Path dir;

        @Override
        public Integer call() throws IOException {
            DatasetReader reader = DatasetReader.open(dir);
            reader.verifyChecksums();
            DatasetManifest m = reader.manifest();
            try (ProgressLine bar = ProgressLine.on(System.err).task("verify").total(m.episodes()).unit("ep").start()) {
                for (Split s : Split.values()) {
                    try (EpisodeStream stream = reader.episodes(s, true)) {
                        for (Episode e; (e = stream.next()) != null; ) {
                            bar.step();
                        }
                    }
                }
            }
            System.out.println(dir + ": OK (" + m.episodes() + " episodes, checksums match)");
            return 0;
        }
    }
}
