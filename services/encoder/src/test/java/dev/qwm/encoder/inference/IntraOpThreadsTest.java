package dev.qwm.encoder.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.env.Environment;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.FrameStyle;
import dev.qwm.env.pusht.PushTEnvironment;
import dev.qwm.env.registry.Environments;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planning.DataSplit;
import dev.qwm.planning.eval.EpisodeSources;
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
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The encoder service computes the same bits whatever its ONNX Runtime intra-op thread count
 * ({@code encoder.intra-op-threads}): its sessions at 2 and 4 threads give every latent bit for bit as at 1 thread,
 * on the shipped bundles and on quantized ones (W8A8 as the QuantWM studies calibrated it, committed under docs/evals;
 * W4A16-g128 quantized here), at the batches the fleet sends: one frame (an observation's Embed), start and goal of a
 * session (two frames in one Encode), and the 26 frames of an executed MPC iteration. Each thread count opens its own
 * sessions through the service's loader and measures its own load-time kernel choices, as a restarted service does.
 */
@Tag("slow")
class IntraOpThreadsTest {

    static final Path MODELS = Path.of("../../models").toAbsolutePath().normalize();
    static final Path EVALS = Path.of("../../docs/evals").toAbsolutePath().normalize();
    static final int[] THREADS = {1, 2, 4};
    static final int[] FRAMES = {1, 2, 26};

    @TempDir
    Path dir;

    @Test
    void everyThreadCountEncodesTheSameBits() {
        Map<String, ModelBundle> bundles = new LinkedHashMap<>();
        for (String env : List.of("wall", "pusht")) {
            ModelBundle fp = ModelBundle.read(MODELS.resolve(env));
            bundles.put(env + "-fp32", fp);
            bundles.put(env + "-w8a8", ModelBundle.read(EVALS.resolve("quantwm-" + env + "/artifacts").resolve(
                    env.equals("wall") ? "qwm-wall-small-w8a8-rtn-both-9857243d3140c05a"
                            : "qwm-pusht-small-w8a8-rtn-both-1bb73d3f80a1e210")));
            bundles.put(env + "-w4a16-g128", BundleQuantizer.quantize(fp, Presets.recipe("w4a16-g128", "both"), null,
                    dir.resolve(env + "-w4a16-g128"), ModuleQuantizer.Options.defaults()).bundle());
        }
        List<String> differences = new ArrayList<>();
        for (Map.Entry<String, ModelBundle> e : bundles.entrySet()) {
            ByteBuffer images = frames(e.getValue(), 26);
            Map<Integer, float[]> reference = null;
            for (int threads : THREADS) {
                Map<Integer, float[]> out = encode(e.getValue(), images, threads);
                if (reference == null) {
                    reference = out;
                    continue;
                }
                for (int frames : FRAMES) {
                    String d = compare(reference.get(frames), out.get(frames));
                    if (d != null) {
                        differences.add(e.getKey() + " " + frames + " frame(s) at " + threads + " threads vs 1: " + d);
                    }
                }
            }
        }
        if (!differences.isEmpty()) {
            fail("not bit-identical across intra-op thread counts:\n" + String.join("\n", differences));
        }
    }

    static Map<Integer, float[]> encode(ModelBundle bundle, ByteBuffer images, int threads) {
        EncoderArtifacts artifacts = new EncoderArtifacts(new EncoderArtifactsTest.Config(Optional.empty(), 2, 1024,
                threads, "cpu"), new SimpleMeterRegistry());
        try {
            assertEquals(threads, artifacts.runEnvironment().threads());
            LoadedEncoder enc = artifacts.get(ArtifactRef.newBuilder().setBundle(bundle.directory().toString()).build());
            Map<Integer, float[]> out = new LinkedHashMap<>();
            int frame = enc.imageSize() * enc.imageSize() * 3;
            for (int frames : FRAMES) {
                out.put(frames, enc.encode(images.duplicate().limit(frames * frame).slice(), frames));
            }
            return out;
        } finally {
            artifacts.closeAll();
        }
    }

    /** {@code n} real frames of the bundle's environment: a start state moved by random actions. */
    static ByteBuffer frames(ModelBundle bundle, int n) {
        var m = bundle.manifest();
        EnvironmentKind kind = EnvironmentKind.parse(m.environment());
        Environment env = Environments.create(kind, FrameStyle.parse(m.frameStyle()));
        env.reset(kind == EnvironmentKind.WALL
                ? EpisodeSources.wall().episode(0, 496, DataSplit.VALIDATION).startState()
                : PushTEnvironment.randomState(496));
        int size = m.imageSize();
        ByteBuffer images = ByteBuffer.allocate(n * size * size * 3);
        Random r = new Random(5);
        double[] action = new double[env.actionDim()];
        for (int i = 0; i < n; i++) {
            images.put(env.render(size));
            for (int k = 0; k < action.length; k++) {
                action[k] = r.nextGaussian() * 20;
            }
            env.step(action);
        }
        return images.flip();
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
}
