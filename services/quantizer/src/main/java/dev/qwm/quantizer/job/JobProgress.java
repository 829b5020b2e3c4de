package dev.qwm.quantizer.job;

import dev.qwm.planning.mpc.CemStepMetrics;
import dev.qwm.planning.mpc.EpisodeResult;
import dev.qwm.planning.mpc.EpisodeSpec;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.quant.Progress;
import java.util.Locale;

/**
 * Turns what the quantization library reports (calibration episodes and their CEM steps; per module the transform
 * groups, then the layers) into one fraction 0..1 and a message on the job. Calibration, when there is any, is the
 * first 60 %; quantizing the modules shares the rest but the last 5 %, which is writing and publishing.
 */
final class JobProgress implements Progress, PlanningListener {

    private static final double WRITE_SHARE = 0.05;

    private final QuantizationJob job;
    private final double calibrationShare;
    private final double quantizationShare;
    private final int episodes;
    private final int cemStepsPerEpisode;
    private final int phases;

    private int episodesDone;
    private int cemStepsInEpisode;
    private int phasesDone;
    private String task = "";
    private long phaseTotal;
    private long phaseDone;

    /**
     * @param episodes           calibration episodes (0: the recipe needs no calibration)
     * @param cemStepsPerEpisode CEM steps of one calibration episode at most (quant_iter x opt_steps)
     * @param modules            modules the recipe quantizes (each reports two phases: transforms, layers)
     */
    JobProgress(QuantizationJob job, int episodes, int cemStepsPerEpisode, int modules) {
        this.job = job;
        this.episodes = episodes;
        this.cemStepsPerEpisode = Math.max(1, cemStepsPerEpisode);
        this.calibrationShare = episodes > 0 ? 0.6 : 0.0;
        this.quantizationShare = 1.0 - calibrationShare - WRITE_SHARE;
        this.phases = Math.max(1, 2 * modules);
    }

    // --- calibration episodes (PlanningListener, called on the job's thread)

    @Override
    public void onEpisodeStarted(EpisodeSpec episode) {
        cemStepsInEpisode = 0;
        report(String.format(Locale.ROOT, "calibrating: FP planning episode %d/%d (seed %d)", episodesDone + 1, episodes,
                episode.seed()));
    }

    @Override
    public void onCemStep(EpisodeSpec episode, CemStepMetrics metrics) {
        cemStepsInEpisode++;
        report(null);
    }

    @Override
    public void onEpisodeCompleted(EpisodeResult result) {
        episodesDone++;
        cemStepsInEpisode = 0;
        report(String.format(Locale.ROOT, "calibrating: %d/%d FP planning episodes done", episodesDone, episodes));
    }

    // --- quantization phases (Progress)

    @Override
    public void start(String task, long total) {
        this.task = task;
        this.phaseTotal = total;
        this.phaseDone = 0;
        report(task);
    }

    @Override
    public void step(String what) {
        phaseDone++;
        report(String.format(Locale.ROOT, "%s: %d/%d %s", task, phaseDone, phaseTotal, what));
    }

    @Override
    public void finish() {
        phasesDone = Math.min(phases, phasesDone + 1);
        phaseTotal = 0;
        phaseDone = 0;
        report(null);
    }

    void writing(String text) {
        job.progress(1.0 - WRITE_SHARE, text);
    }

    private void report(String message) {
        job.stopIfCancelled(); // between two steps of calibration or quantization: nothing is written yet
        double calibration = 0;
        if (episodes > 0) {
            double inEpisode = Math.min(1.0, (double) cemStepsInEpisode / cemStepsPerEpisode);
            calibration = Math.min(1.0, (episodesDone + (episodesDone < episodes ? inEpisode : 0)) / episodes);
            if (phasesDone > 0 || phaseTotal > 0) {
                calibration = 1.0; // quantization started: calibration is over (episodes may end early on success)
            }
        }
        double inPhase = phaseTotal > 0 ? Math.min(1.0, (double) phaseDone / phaseTotal) : 0;
        double quantization = Math.min(1.0, (phasesDone + inPhase) / phases);
        job.progress(calibrationShare * calibration + quantizationShare * quantization, message);
    }
}
