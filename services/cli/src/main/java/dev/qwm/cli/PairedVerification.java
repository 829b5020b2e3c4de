package dev.qwm.cli;

import dev.qwm.analysis.stats.Interval;
import dev.qwm.analysis.stats.SequentialNonInferiority;
import dev.qwm.planning.DataSplit;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.cem.CemPlanner;
import dev.qwm.planning.eval.EpisodeLog;
import dev.qwm.planning.eval.EpisodeSource;
import dev.qwm.planning.mpc.EpisodeResult;
import dev.qwm.planning.mpc.EpisodeSpec;
import dev.qwm.planning.mpc.MpcEpisodeRunner;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.progress.ProgressLine;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The engine of {@code ./qwm verify}, shared with {@code ./qwm autoquant}: a candidate and a reference model plan the
 * same episodes (seeds 99n+1 of the validation split, the same planner seed), one pair at a time, into a
 * {@link SequentialNonInferiority} test that stops as soon as it decides. Episodes already in the logs are taken as
 * they are; a reference log may serve several candidates, so that the reference plans each episode once.
 */
final class PairedVerification {

    /** How a verification plans and when it stops. */
    record Settings(double margin, double confidence, int maxPairs, long seed, PlannerBudget budget) {
        Settings {
            if (maxPairs < 1) {
                throw new IllegalArgumentException("--max-episodes must be at least 1, got " + maxPairs);
            }
            if (!(confidence > 0 && confidence < 1)) {
                throw new IllegalArgumentException("--confidence must lie in (0, 1), got " + confidence);
            }
            if (!(margin > 0 && margin < 1)) {
                throw new IllegalArgumentException("--margin must lie in (0, 1), got " + margin);
            }
        }

        SequentialNonInferiority newTest() {
            return new SequentialNonInferiority(margin, 1 - confidence);
        }
    }

    /**
     * An episode log (or none) with the episodes it holds, growing as episodes are appended: what a later
     * verification against the same model finds there.
     */
    static final class Kept implements Closeable {
        private final EpisodeLog log;
        private final Map<Integer, EpisodeResult> results = new TreeMap<>();

        private Kept(EpisodeLog log) {
            this.log = log;
            if (log != null) {
                results.putAll(log.finished());
            }
        }

        /** No log: every episode is planned. */
        static Kept none() {
            return new Kept(null);
        }

        /**
         * The log at {@code file}, new ({@code resume} false: an existing one is truncated) or resumed; a resumed one
         * must hold episodes of {@code model} planned with {@code budget} and planner seed {@code seed}, or is refused.
         */
        static Kept open(Path file, boolean resume, String model, PlannerBudget budget, long seed, Consumer<String> notes) {
            try {
                EpisodeLog log = resume ? EpisodeLog.resume(file, notes) : EpisodeLog.create(file);
                for (EpisodeResult r : log.finished().values()) {
                    if (!r.modelReference().equals(model) || !r.budget().equals(budget) || r.plannerSeed() != seed) {
                        log.close();
                        throw new IllegalArgumentException(file + ": episode " + r.episodeIndex() + " was planned with "
                                + r.modelReference() + ", " + r.budget() + ", planner seed " + r.plannerSeed()
                                + "; this verification plans with " + model + ", " + budget + ", planner seed " + seed);
                    }
                }
                return new Kept(log);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the episode log " + file + ": " + e.getMessage(), e);
            }
        }

        /** The result of episode {@code i}, if it is this episode; null if it was not planned yet. */
        EpisodeResult get(int i, EpisodeSpec episode) {
            EpisodeResult r = results.get(i);
            if (r != null && r.episodeSeed() != episode.seed()) {
                throw new IllegalArgumentException((log == null ? "" : log.file() + ": ") + "episode " + i + " has seed "
                        + r.episodeSeed() + ", this verification's episode " + i + " has seed " + episode.seed());
            }
            return r;
        }

        void add(EpisodeResult r) {
            results.put(r.episodeIndex(), r);
            if (log != null) {
                log.append(r);
            }
        }

        /** Every episode held, by index. */
        Map<Integer, EpisodeResult> results() {
            return java.util.Collections.unmodifiableMap(results);
        }

        @Override
        public void close() throws IOException {
            if (log != null) {
                log.close();
            }
        }
    }

    /** What one verification saw: the test, and the episodes each side planned (not found in its log). */
    record Outcome(SequentialNonInferiority test, int candidatePlanned, int referencePlanned) {
    }

    private PairedVerification() {
    }

    /**
     * Plans pairs until the test decides or {@code settings.maxPairs()} pairs are in; {@code bar} (may be null) is
     * stepped to the pairs done, with Δ and its interval.
     */
    static Outcome run(OnnxWorldModel candidate, OnnxWorldModel reference, EpisodeSource source, Settings settings,
                       Kept candidateKept, Kept referenceKept, ProgressLine bar) {
        SequentialNonInferiority test = settings.newTest();
        MpcEpisodeRunner qRunner = new MpcEpisodeRunner(candidate, new CemPlanner(), settings.budget(),
                source::newEnvironment, false);
        MpcEpisodeRunner fRunner = new MpcEpisodeRunner(reference, new CemPlanner(), settings.budget(),
                source::newEnvironment, false);
        int qPlanned = 0;
        int fPlanned = 0;
        for (int i = 0; i < settings.maxPairs() && test.verdict() == SequentialNonInferiority.Verdict.UNDECIDED; i++) {
            EpisodeSpec episode = source.episode(i, 99L * i + 1, DataSplit.VALIDATION);
            EpisodeResult qr = candidateKept.get(i, episode);
            EpisodeResult fr = referenceKept.get(i, episode);
            if (qr == null) {
                qr = qRunner.run(episode, settings.seed(), PlanningListener.NONE);
                candidateKept.add(qr);
                qPlanned++;
            }
            if (fr == null) {
                fr = fRunner.run(episode, settings.seed(), PlanningListener.NONE);
                referenceKept.add(fr);
                fPlanned++;
            }
            test.add(qr.success(), fr.success());
            if (bar != null) {
                Interval d = test.interval();
                bar.stepTo(test.pairs(), String.format(Locale.ROOT, "Δ %+.3f [%+.3f, %+.3f], %d vs %d only",
                        test.difference(), d.lower(), d.upper(), test.onlyCandidate(), test.onlyReference()));
            }
        }
        return new Outcome(test, qPlanned, fPlanned);
    }
}
