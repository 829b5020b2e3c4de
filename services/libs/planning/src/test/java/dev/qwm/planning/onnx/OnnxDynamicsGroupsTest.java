package dev.qwm.planning.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Candidates of several start latents rolled out in one batch give what each group gives alone, bit for bit (ORT's
 * CPU kernels compute each row independently of the batch size; the predictor service's merged batches rely on it).
 */
class OnnxDynamicsGroupsTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void groupsInOneBatchMatchEachGroupAloneAndThePlainRollout(int numHist, @TempDir Path dir) {
        TinyBundle tiny = new TinyBundle(numHist, 17);
        ModelBundle bundle = tiny.write(dir);
        SplittableRandom r = new SplittableRandom(5);
        int horizon = 4;
        int[] sizes = {3, 1, 5};
        Latent[] starts = new Latent[sizes.length];
        Latent[] goals = new Latent[sizes.length];
        ActionBatch[] alone = new ActionBatch[sizes.length];
        int total = 0;
        for (int g = 0; g < sizes.length; g++) {
            starts[g] = randomLatent(r);
            goals[g] = randomLatent(r);
            alone[g] = randomActions(r, sizes[g], horizon);
            total += sizes[g];
        }
        float[] merged = new float[total * horizon * TinyBundle.A];
        int offset = 0;
        for (ActionBatch a : alone) {
            System.arraycopy(a.data(), 0, merged, offset, a.data().length);
            offset += a.data().length;
        }
        int candidates = total;
        Objective objective = new Objective(0.5);
        try (OnnxDynamics dynamics = OnnxDynamics.open(bundle, SessionConfig.singleThreaded())) {
            long calls = dynamics.predictorCalls();
            float[] last = dynamics.lastFrames(starts, sizes, new ActionBatch(total, horizon, TinyBundle.A, merged));
            assertEquals(horizon, dynamics.predictorCalls() - calls, "one predictor call per step for all groups");
            int b = 0;
            for (int g = 0; g < sizes.length; g++) {
                double[] scores = dynamics.score(starts[g], goals[g], alone[g], objective);
                Latent[] finals = dynamics.rollout(starts[g], alone[g]);
                for (int c = 0; c < sizes[g]; c++, b++) {
                    assertEquals(scores[c], dynamics.loss(last, b, goals[g], objective),
                            "group " + g + " candidate " + c);
                    Latent fin = dynamics.finalLatent(last, b);
                    assertArrayEquals(finals[c].visual(), fin.visual());
                    assertArrayEquals(finals[c].proprio(), fin.proprio());
                    float[] seq = alone[g].candidate(c).data();
                    double[][] plain = tiny.rolloutLastFrame(toDoubles(starts[g].visual()),
                            toDoubles(starts[g].proprio()), seq, horizon);
                    for (int n = 0; n < TinyBundle.N; n++) {
                        for (int d = 0; d < TinyBundle.D; d++) {
                            assertEquals(plain[n][d], fin.visual()[n * TinyBundle.D + d], 1e-4);
                        }
                    }
                }
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> dynamics.lastFrames(starts, new int[] {3, 1, 4},
                            new ActionBatch(candidates, horizon, TinyBundle.A, merged)));
            assertTrue(e.getMessage().contains("sum to 8"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> dynamics.lastFrames(starts, new int[] {9},
                    new ActionBatch(candidates, horizon, TinyBundle.A, merged)));
        }
    }

    private static Latent randomLatent(SplittableRandom r) {
        float[] v = new float[TinyBundle.N * TinyBundle.D];
        float[] p = new float[TinyBundle.PE];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextDouble(-1, 1);
        }
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) r.nextGaussian();
        }
        return new Latent(v, p);
    }

    private static ActionBatch randomActions(SplittableRandom r, int batch, int horizon) {
        float[] data = new float[batch * horizon * TinyBundle.A];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        return new ActionBatch(batch, horizon, TinyBundle.A, data);
    }

    private static double[] toDoubles(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
