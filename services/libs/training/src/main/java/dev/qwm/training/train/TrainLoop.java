package dev.qwm.training.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.qwm.progress.ProgressLine;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The loop shared by the training stages: a warm-up + cosine learning-rate schedule, a progress bar (step,
 * loss, rate, ETA), a loss curve, and checkpoints that make the stage resumable after an interruption.
 *
 * <p>A stage directory holds {@code checkpoint/} with {@code state.json} (the run's settings, the step reached,
 * the loss curve, time spent) and whatever the stage's {@link Stage#save} writes. On start, a checkpoint whose settings equal the
 * new run's is resumed; one with other settings is an error (so that a changed command never silently mixes
 * two runs). Batches must be drawn from a random generator seeded by (seed, step), so a resumed run follows
 * the same path as an uninterrupted one.
 */
public final class TrainLoop {

    /** One training stage: a step function plus its checkpoint. */
    public interface Stage {
        /** Runs step {@code step} (0-based) at learning rate {@code lr}; returns its metrics, "loss" first. */
        Map<String, Double> step(long step, float lr);

        /** A step that leaves weights and optimiser state as they were, to time a step (used by {@code --minutes}). */
        void dryStep(long step);

        void save(Path dir) throws IOException;

        void load(Path dir) throws IOException;
    }

    /**
     * What a finished or resumed stage reports; {@code skippedSteps} counts steps whose loss or gradient was not
     * finite and that therefore changed nothing (see {@link Adam#step(float, float)}).
     */
    public record Outcome(long steps, double seconds, List<Map<String, Double>> curve, boolean resumed,
                          long skippedSteps) {
    }

    /** A run of this many skipped steps in a row means the weights themselves went bad: stop with an error. */
    static final int MAX_SKIPPED_IN_A_ROW = 10;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String name;
    private final Path dir;
    private final Map<String, Object> settings;
    private final float peakLr;
    private final int checkpointEvery;
    private final int logEvery;
    private final PrintStream log;

    /**
     * @param name     stage name for the progress bar
     * @param dir      checkpoint directory of this stage
     * @param settings everything that defines the run (hyper-parameters, data checksums, seed); compared on resume
     */
    public TrainLoop(String name, Path dir, Map<String, Object> settings, float peakLr, int checkpointEvery, int logEvery,
                     PrintStream log) {
        this.name = name;
        this.dir = dir;
        this.settings = new LinkedHashMap<>(settings);
        this.peakLr = peakLr;
        this.checkpointEvery = checkpointEvery;
        this.logEvery = logEvery;
        this.log = log;
    }

    /** Linear warm-up over the first 5 % of steps (at most 200), then cosine decay to 10 % of the peak. */
    public static float learningRate(float peak, long step, long total) {
        long warmup = Math.max(1, Math.min(200, total / 20));
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return (float) (peak * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)))));
    }

    /** Whether this stage already finished with these settings (its result can be reused). */
    public boolean isFinished() throws IOException {
        State s = readState();
        return s != null && s.finished && s.settings.equals(normalized(settings));
    }

    /**
     * Runs (or resumes) the stage; a stage that already finished with these settings is not run again (its
     * outcome is returned, and the caller loads the parameters from {@link #checkpointDir()}).
     * Runs (or resumes) the stage for {@code steps} steps, or, when {@code steps <= 0}, for as many steps as fit in
     * {@code minutes} (timed with a few dry steps, then fixed and recorded, so the run is reproducible with
     * {@code --steps}).
     */
    public Outcome run(Stage stage, long steps, double minutes) throws IOException {
        Files.createDirectories(dir);
        State state = readState();
        boolean resumed = false;
        if (state != null) {
            if (!state.settings.equals(normalized(settings))) {
                throw new IllegalStateException("checkpoint in " + dir + " was made with other settings:\n  saved: "
                        + state.settings + "\n  now:   " + normalized(settings)
                        + "\nremove that directory (or pass --fresh) to start over");
            }
            if (state.finished) {
                log.printf("%s: already finished (%d steps, %.1f min); reusing %s%n", name, state.step,
                        state.seconds / 60, dir);
                return new Outcome(state.step, state.seconds, state.curve, true, state.skippedSteps);
            }
            stage.load(checkpointDir());
            resumed = state.step > 0;
            log.printf("%s: resuming at step %d of %d from %s%n", name, state.step, state.totalSteps, dir);
        } else {
            long total = steps > 0 ? steps : stepsForMinutes(stage, minutes);
            state = new State();
            state.settings = normalized(settings);
            state.totalSteps = total;
            state.curve = new ArrayList<>();
        }

        long total = state.totalSteps;
        long startNanos = System.nanoTime();
        double secondsBefore = state.seconds;
        double smoothed = Double.NaN;
        Map<String, Double> window = new LinkedHashMap<>();
        int windowSteps = 0;
        int skippedInARow = 0;
        try (ProgressLine bar = ProgressLine.on(log).task(name).total(total).unit("steps")
                .resumedAt(state.step, Duration.ofMillis((long) (secondsBefore * 1000))).start()) {
            for (long step = state.step; step < total; step++) {
                Map<String, Double> m = stage.step(step, learningRate(peakLr, step, total));
                double loss = m.getOrDefault("loss", Double.NaN);
                if (!Double.isFinite(loss) || !Double.isFinite(m.getOrDefault("gnorm", 0.0))) {
                    // The stage applied nothing (Adam skips a non-finite gradient); a lone bad step is survivable,
                    // a run of them is not.
                    state.skippedSteps++;
                    if (++skippedInARow >= MAX_SKIPPED_IN_A_ROW) {
                        throw new IllegalStateException(name + ": loss " + loss + ", gradient norm "
                                + m.get("gnorm") + " at step " + step + ", " + skippedInARow
                                + " steps in a row not finite (learning rate too high?)");
                    }
                    log.printf("%s: step %d skipped (loss %s, gradient norm %s)%n", name, step, loss, m.get("gnorm"));
                } else {
                    skippedInARow = 0;
                    smoothed = Double.isNaN(smoothed) ? loss : 0.95 * smoothed + 0.05 * loss;
                    // The curve holds means over windows of logEvery steps (so that batches that alternate between
                    // datasets are all represented), stamped with the window's last step.
                    m.forEach((k, v) -> window.merge(k, v, Double::sum));
                    windowSteps++;
                }
                if (((step + 1) % logEvery == 0 || step == total - 1) && windowSteps > 0) {
                    Map<String, Double> point = new LinkedHashMap<>();
                    point.put("step", (double) step);
                    int n = windowSteps;
                    window.forEach((k, v) -> point.put(k, v / n));
                    state.curve.add(point);
                    window.clear();
                    windowSteps = 0;
                }
                bar.stepTo(step + 1, String.format("loss %.4f%s", smoothed, extras(m)));
                state.step = step + 1;
                if (state.step % checkpointEvery == 0 && state.step < total) {
                    state.seconds = secondsBefore + (System.nanoTime() - startNanos) / 1e9;
                    checkpoint(stage, state);
                }
            }
        }
        state.seconds = secondsBefore + (System.nanoTime() - startNanos) / 1e9;
        state.finished = true;
        checkpoint(stage, state);
        return new Outcome(state.step, state.seconds, state.curve, resumed, state.skippedSteps);
    }

    private static String extras(Map<String, Double> m) {
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> {
            if (!k.equals("loss")) {
                sb.append(String.format(" %s %.3g", k, v));
            }
        });
        return sb.toString();
    }

    private long stepsForMinutes(Stage stage, double minutes) {
        if (!(minutes > 0)) {
            throw new IllegalArgumentException(name + ": give a number of steps or a positive number of minutes");
        }
        stage.dryStep(0); // warm-up: first calls allocate
        int probe = 6;
        long t0 = System.nanoTime();
        for (int i = 1; i <= probe; i++) {
            stage.dryStep(i);
        }
        double perStep = (System.nanoTime() - t0) / 1e9 / probe;
        long steps = Math.max(10, (long) (minutes * 60 / perStep));
        log.printf("%s: %.0f ms per step -> %d steps for %.1f min (rerun with --steps to reproduce exactly)%n",
                name, perStep * 1000, steps, minutes);
        return steps;
    }

    /**
     * Writes parameters, optimiser state and state.json into a fresh folder, then swaps it in, so that an
     * interruption leaves either the previous checkpoint or the new one, never a mix.
     */
    private void checkpoint(Stage stage, State state) throws IOException {
        Path next = dir.resolve("checkpoint.next");
        Path current = dir.resolve("checkpoint");
        Path old = dir.resolve("checkpoint.old");
        deleteTree(next);
        Files.createDirectories(next);
        stage.save(next);
        JSON.writeValue(next.resolve("state.json").toFile(), state);
        deleteTree(old);
        if (Files.exists(current)) {
            Files.move(current, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(next, current, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
    }

    /** The folder of the last complete checkpoint (after an interrupted swap, the previous one). */
    public Path checkpointDir() {
        Path current = dir.resolve("checkpoint");
        Path old = dir.resolve("checkpoint.old");
        return !Files.exists(current) && Files.exists(old) ? old : current;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }

    private State readState() throws IOException {
        Path f = checkpointDir().resolve("state.json");
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            return JSON.readValue(f.toFile(), State.class);
        } catch (IOException e) {
            throw new IOException("cannot read checkpoint state " + f + ": " + e.getMessage(), e);
        }
    }

    /** Settings as they look after a JSON round trip, so saved and new ones compare equal. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> normalized(Map<String, Object> settings) {
        try {
            // Through text, so that a float setting compares equal to the double it reads back as.
            return JSON.readValue(JSON.writeValueAsString(Objects.requireNonNull(settings)), LinkedHashMap.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("settings are not serialisable as JSON: " + e.getMessage(), e);
        }
    }

    /** The checkpoint's bookkeeping, saved as JSON. */
    public static final class State {
        public Map<String, Object> settings;
        public long step;
        public long totalSteps;
        public double seconds;
        public boolean finished;
        public long skippedSteps;
        public List<Map<String, Double>> curve;
    }
}
