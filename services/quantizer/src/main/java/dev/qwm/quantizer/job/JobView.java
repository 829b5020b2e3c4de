package dev.qwm.quantizer.job;

import java.util.List;

/**
 * What a client sees of a job at one moment.
 *
 * @param id           the job id, which is also the output bundle's folder name in the artifact store
 * @param progress     0..1
 * @param bundle       the output bundle folder (absolute), once SUCCEEDED
 * @param artifacts    its encoder and predictor artifacts, once SUCCEEDED
 * @param manifestJson the quantization manifest (recipe, calibration-set hash, per-layer error), once SUCCEEDED
 * @param reused       the bundle was already in the store: nothing was quantized
 */
public record JobView(String id, JobState state, double progress, String message, String sourceBundle, String recipeName,
                      String bundle, List<Artifact> artifacts, String manifestJson, boolean reused,
                      long submittedAtUnixMs, Long finishedAtUnixMs) {
}
