package dev.qwm.predictor.inference;

import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.serving.LoadedArtifacts;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;
import dev.qwm.planning.onnx.OnnxDynamics;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;

/**
 * One predictor artifact held by this service (the predictor with its proprio and action encoders), with the bundle
 * it came from. {@link OnnxDynamics} is not thread-safe, so every call into it holds this artifact's lock; rollouts
 * go through the artifact's {@link RolloutBatcher}, which merges those of concurrent sessions.
 */
public final class LoadedPredictor implements LoadedArtifacts.Artifact {

    private final OnnxDynamics dynamics;
    private final String bundle;
    private final ReentrantLock inference = new ReentrantLock();
    private final RolloutBatcher batcher;
    private final double gflopPerCandidateStep;

    /**
     * @param openSessions          how many sessions use this artifact now (the batcher waits for no more than these)
     * @param gflopPerCandidateStep what one candidate's prediction step costs (see {@link #gflopPerCandidateStep()})
     */
    LoadedPredictor(OnnxDynamics dynamics, String bundle, long batchWindowNanos, int maxBatchCandidates,
                    IntSupplier openSessions, RolloutBatcher.BatchListener listener, double gflopPerCandidateStep) {
        this.dynamics = dynamics;
        this.bundle = bundle;
        this.gflopPerCandidateStep = gflopPerCandidateStep;
        BundleManifest m = dynamics.manifest();
        this.batcher = new RolloutBatcher(m.name() + "-" + sha256().substring(0, 12), this::lastFrames, listener,
                batchWindowNanos, maxBatchCandidates, openSessions, m.numPatches() * m.tokenDim());
    }

    @Override
    public String sha256() {
        return dynamics.sha256();
    }

    @Override
    public String bundle() {
        return bundle;
    }

    @Override
    public String label() {
        return dynamics.manifest().name();
    }

    public BundleManifest manifest() {
        return dynamics.manifest();
    }

    /** GFLOP of one candidate's prediction step, as sessions report it to callers for their deadlines. */
    public double gflopPerCandidateStep() {
        return gflopPerCandidateStep;
    }

    /** Proprio embeddings {@code [frames, proprioEmbDim]} of raw proprio vectors {@code [frames, proprioDim]}. */
    public float[] embedProprio(float[] proprio, int frames) {
        int dim = manifest().proprioDim();
        int embDim = manifest().proprioEmbDim();
        if (proprio.length != frames * dim) {
            throw new IllegalArgumentException(frames + " proprio vectors of dimension " + dim + " need "
                    + frames * dim + " values, got " + proprio.length);
        }
        float[] out = new float[frames * embDim];
        double[] vector = new double[dim];
        inference.lock();
        try {
            for (int f = 0; f < frames; f++) {
                for (int i = 0; i < dim; i++) {
                    vector[i] = proprio[f * dim + i];
                }
                System.arraycopy(dynamics.embedProprio(vector), 0, out, f * embDim, embDim);
            }
        } finally {
            inference.unlock();
        }
        return out;
    }

    /**
     * Queues a rollout of {@code actions} from {@code start} for {@code session}; it may run merged with those of
     * other sessions.
     *
     * @param deadline when the caller stops waiting (null: never); a rollout still queued then is not run
     * @return the last imagined frames of the candidates ({@code [C, N, E]}: read them with {@link #loss} and
     *     {@link #finalLatent})
     * @throws ArtifactClosedException if this artifact was closed meanwhile
     */
    public CompletableFuture<float[]> rollout(String session, Latent start, ActionBatch actions,
                                              io.grpc.Deadline deadline) {
        return batcher.submit(session, start, actions, deadline);
    }

    /** The objective of candidate {@code b} of a rollout's frames, exactly as the in-process world model scores it. */
    public double loss(float[] lastFrames, int b, Latent goal, Objective objective) {
        return dynamics.loss(lastFrames, b, goal, objective);
    }

    public Latent finalLatent(float[] lastFrames, int b) {
        return dynamics.finalLatent(lastFrames, b);
    }

    private float[] lastFrames(Latent[] starts, int[] sizes, ActionBatch actions) {
        inference.lock();
        try {
            return dynamics.lastFrames(starts, sizes, actions);
        } finally {
            inference.unlock();
        }
    }

    /** Runs the proprio encoder and a one-step rollout once, so that the first real call does not pay for ORT's setup. */
    void warm() {
        BundleManifest m = manifest();
        float[] emb = embedProprio(new float[m.proprioDim()], 1);
        Latent start = new Latent(new float[m.numPatches() * m.latentDim()], emb);
        lastFrames(new Latent[] {start}, new int[] {1}, new ActionBatch(1, 1, m.actionDim(), new float[m.actionDim()]));
    }

    /** Runs the queued rollouts, then closes the ORT sessions. */
    @Override
    public void close() {
        batcher.close();
        inference.lock();
        try {
            dynamics.close();
        } finally {
            inference.unlock();
        }
    }
}
