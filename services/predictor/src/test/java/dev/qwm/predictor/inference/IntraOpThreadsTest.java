package dev.qwm.predictor.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.env.Environment;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.FrameStyle;
import dev.qwm.env.pusht.PushTEnvironment;
import dev.qwm.env.registry.Environments;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.DataSplit;
import dev.qwm.planning.Latent;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.planning.onnx.OnnxDynamics;
import dev.qwm.planning.onnx.OnnxVisualEncoder;
import dev.qwm.planning.onnx.PredictorCallBudget;
import dev.qwm.predictor.TestConfig;
import dev.qwm.quant.ModuleQuantizer;
import dev.qwm.quant.bundle.BundleQuantizer;
import dev.qwm.quant.recipe.Presets;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The predictor service computes the same bits whatever its ONNX Runtime intra-op thread count
 * ({@code predictor.intra-op-threads}): its sessions at 2 and 4 threads give every rolled-out frame bit for bit as at
 * 1 thread, on the shipped bundles and on quantized ones (W8A8 as the QuantWM studies calibrated it, committed under
 * docs/evals; W4A16-g128 quantized here), at the shapes the planner fleet sends: a CEM step of 300 candidates over 5
 * macro actions through the service's own artifact loader, two planners' steps merged into one batch of 600, the
 * batch run as predictor call chunks of 64 candidates (a tighter call budget), and the latent-divergence replay of one
 * candidate over 25 actions (one row: MLAS' single-row paths). Only then may the thread count be a matter of speed.
 * Each thread count opens its own sessions and measures its own load-time kernel choices, as a restarted service does.
 */
@Tag("slow")
class IntraOpThreadsTest {

    static final Path MODELS = Path.of("../../models").toAbsolutePath().normalize();
    static final Path EVALS = Path.of("../../docs/evals").toAbsolutePath().normalize();
    static final int[] THREADS = {1, 2, 4};

    @TempDir
    static Path dir;

    /** The bundles: shipped FP32, the studies' W8A8 (RTN, both modules, static activations), W4A16-g128 made here. */
    static Map<String, ModelBundle> bundles() {
        Map<String, ModelBundle> b = new LinkedHashMap<>();
        for (String env : List.of("wall", "pusht")) {
            ModelBundle fp = ModelBundle.read(MODELS.resolve(env));
            b.put(env + "-fp32", fp);
            b.put(env + "-w8a8", ModelBundle.read(EVALS.resolve("quantwm-" + env + "/artifacts").resolve(
                    env.equals("wall") ? "qwm-wall-small-w8a8-rtn-both-9857243d3140c05a"
                            : "qwm-pusht-small-w8a8-rtn-both-1bb73d3f80a1e210")));
            b.put(env + "-w4a16-g128", BundleQuantizer.quantize(fp, Presets.recipe("w4a16-g128", "both"), null,
                    dir.resolve(env + "-w4a16-g128"), ModuleQuantizer.Options.defaults()).bundle());
        }
        return b;
    }

    @Test
    void everyThreadCountRollsOutTheSameBitsAtThePlannersShapes() throws Exception {
        List<String> differences = new ArrayList<>();
        for (Map.Entry<String, ModelBundle> e : bundles().entrySet()) {
            ModelBundle bundle = e.getValue();
            Inputs in = Inputs.of(bundle);
            Map<String, float[]> reference = null;
            for (int threads : THREADS) {
                Map<String, float[]> out = outputs(bundle, in, threads);
                if (reference == null) {
                    reference = out;
                    continue;
                }
                for (String shape : reference.keySet()) {
                    String d = compare(reference.get(shape), out.get(shape));
                    if (d != null) {
                        differences.add(e.getKey() + " " + shape + " at " + threads + " threads vs 1: " + d);
                    }
                }
            }
        }
        if (!differences.isEmpty()) {
            fail("not bit-identical across intra-op thread counts:\n" + String.join("\n", differences));
        }
    }

    /** Everything the service computes for the planners, at {@code threads} intra-op threads. */
    static Map<String, float[]> outputs(ModelBundle bundle, Inputs in, int threads) throws Exception {
        Map<String, float[]> out = new LinkedHashMap<>();
        // the service's own loader at the configured thread count: a lone session's CEM step
        PredictorArtifacts artifacts = new PredictorArtifacts(TestConfig.defaults().withIntraOpThreads(threads),
                new SimpleMeterRegistry(), sha -> 0);
        try {
            assertEquals(threads, artifacts.runEnvironment().threads());
            LoadedPredictor p = artifacts.get(ArtifactRef.newBuilder().setBundle(bundle.directory().toString()).build());
            out.put("proprio embedding", p.embedProprio(in.proprio, 2));
            out.put("CEM step 300x5 (service)", p.rollout("s", in.start, in.cem, null).get(60, TimeUnit.SECONDS));
        } finally {
            artifacts.closeAll();
        }
        SessionConfig config = SessionConfig.ofThreads(threads);
        try (OnnxDynamics d = OnnxDynamics.open(bundle, config)) {
            out.put("one predictor call 300x1", d.predictTokens(in.tokens, 300, 1));
            out.put("two sessions merged 2x300x5", d.lastFrames(new Latent[] {in.start, in.goal}, new int[] {300, 300},
                    in.merged));
            out.put("divergence replay 1x25", d.lastFrames(new Latent[] {in.start}, new int[] {1}, in.replay));
        }
        // 64 KiB of attention scores per call: chunks of 64 candidates (Wall, PushT: 1 head x 16 x 16 tokens)
        try (OnnxDynamics d = OnnxDynamics.open(bundle, config, new PredictorCallBudget(64 * 1024))) {
            assertTrue(d.chunking().candidatesPerCall(300, 1) < 300, "the small budget chunks the batch");
            out.put("CEM step 300x5 in chunks of " + d.chunking().candidatesPerCall(300, 1),
                    d.lastFrames(new Latent[] {in.start}, new int[] {300}, in.cem));
        }
        return out;
    }

    /** Null when bit-identical, else how many values differ and by how much at most. */
    static String compare(float[] a, float[] b) {
        if (a.length != b.length) {
            return a.length + " values vs " + b.length;
        }
        int differ = 0;
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                differ++;
                max = Math.max(max, Math.abs((double) a[i] - b[i]));
            }
        }
        return differ == 0 ? null : differ + " of " + a.length + " values differ, by up to " + max;
    }

    /** Real start and goal frames of the bundle's environment, their latents, and CEM-like normalized actions. */
    record Inputs(float[] proprio, Latent start, Latent goal, float[] tokens, ActionBatch cem, ActionBatch merged,
                  ActionBatch replay) {

        static Inputs of(ModelBundle bundle) {
            var m = bundle.manifest();
            EnvironmentKind kind = EnvironmentKind.parse(m.environment());
            Environment env = Environments.create(kind, FrameStyle.parse(m.frameStyle()));
            double[] s;
            double[] g;
            if (kind == EnvironmentKind.WALL) {
                var episode = EpisodeSources.wall().episode(0, 496, DataSplit.VALIDATION);
                s = episode.startState();
                g = episode.goalState();
            } else {
                s = PushTEnvironment.randomState(496);
                g = PushTEnvironment.randomState(497);
            }
            int size = m.imageSize();
            ByteBuffer images = ByteBuffer.allocate(2 * size * size * 3);
            images.put(env.render(s, size)).put(env.render(g, size)).flip();
            double[] ps = env.proprioOf(s);
            double[] pg = env.proprioOf(g);
            float[] proprio = new float[2 * ps.length];
            for (int i = 0; i < ps.length; i++) {
                proprio[i] = (float) ps[i];
                proprio[ps.length + i] = (float) pg[i];
            }
            float[] visual;
            float[] emb;
            try (OnnxVisualEncoder enc = OnnxVisualEncoder.open(bundle, SessionConfig.singleThreaded());
                 OnnxDynamics d = OnnxDynamics.open(bundle, SessionConfig.singleThreaded())) {
                visual = enc.encode(images, 2);
                emb = d.embedProprio(proprio, 2, 1);
            }
            int v = m.numPatches() * m.latentDim();
            int pe = m.proprioEmbDim();
            Latent start = new Latent(java.util.Arrays.copyOfRange(visual, 0, v), java.util.Arrays.copyOfRange(emb, 0, pe));
            Latent goal = new Latent(java.util.Arrays.copyOfRange(visual, v, 2 * v), java.util.Arrays.copyOfRange(emb, pe, 2 * pe));
            // one predictor call's input: 300 candidates of one frame each, the start frame with random action channels
            int tokenDim = m.tokenDim();
            Random r = new Random(7);
            float[] tokens = new float[300 * m.numPatches() * tokenDim];
            for (int c = 0; c < 300; c++) {
                for (int n = 0; n < m.numPatches(); n++) {
                    int base = (c * m.numPatches() + n) * tokenDim;
                    System.arraycopy(start.visual(), n * m.latentDim(), tokens, base, m.latentDim());
                    System.arraycopy(start.proprio(), 0, tokens, base + m.latentDim(), pe);
                    for (int k = m.latentDim() + pe; k < tokenDim; k++) {
                        tokens[base + k] = (float) r.nextGaussian();
                    }
                }
            }
            return new Inputs(proprio, start, goal, tokens, actions(300, 5, m.actionDim(), 11),
                    actions(600, 5, m.actionDim(), 12), actions(1, 25, m.actionDim(), 13));
        }

        static ActionBatch actions(int batch, int horizon, int dim, long seed) {
            Random r = new Random(seed);
            float[] a = new float[batch * horizon * dim];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) r.nextGaussian();
            }
            return new ActionBatch(batch, horizon, dim, a);
        }
    }
}
