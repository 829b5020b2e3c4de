package dev.qwm.quant.bundle;

import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.Latent;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.eval.EpisodeSources;
import dev.qwm.planning.eval.RolloutDriftMeter;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.quant.ModuleQuantizer;
import dev.qwm.quant.recipe.AttentionProducts;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.recipe.Presets;
import dev.qwm.quant.recipe.Recipe;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped Wall model (encoder and predictor) quantized W8A8 with and without int8 attention products, its
 * open-loop rollouts (the project's drift measure: fixed validation segments, 5 macro steps) compared with full
 * precision's: int8 attention stays within a stated SQNR of FP at every step.
 */
@Tag("slow")
class Int8AttentionOnWallTest {

    static final Path WALL = Path.of("../../../models/wall");

    /** The bound this test states: SQNR of the rolled-out latent against FP's, at every step of 5, both modules int8. */
    static final double MIN_ROLLOUT_SQNR_DB = 20;

    @Test
    void int8AttentionRollsOutCloseToFullPrecision(@TempDir Path dir) {
        ModelBundle fp = ModelBundle.read(WALL);
        Recipe w8a8 = small(Presets.recipe("w8a8", "both"));
        Recipe attn = small(Presets.withAttention(Presets.recipe("w8a8", "both"), AttentionProducts.INT8));
        ModelBundle plain = quantize(fp, w8a8, dir.resolve("w8a8")).bundle();
        BundleQuantizer.Result int8 = quantize(fp, attn, dir.resolve("attn"));
        assertEquals(2, int8.manifest().modules().size());
        int8.manifest().modules().forEach(m -> assertEquals(2, m.attention().size(), m.module()));

        List<RolloutDriftMeter.Segment> segments = RolloutDriftMeter.segments("wall", 16, 5, fp.manifest().frameskip(),
                fp.manifest().imageSize());
        try (OnnxWorldModel reference = OnnxWorldModel.open(fp, SessionConfig.singleThreaded());
             OnnxWorldModel a = OnnxWorldModel.open(plain, SessionConfig.singleThreaded());
             OnnxWorldModel b = OnnxWorldModel.open(int8.bundle(), SessionConfig.singleThreaded())) {
            double[] power = power(reference, segments);
            double[] driftPlain = RolloutDriftMeter.measure(a, reference, segments).againstReference();
            double[] driftInt8 = RolloutDriftMeter.measure(b, reference, segments).againstReference();
            StringBuilder table = new StringBuilder("step  SQNR W8A8  SQNR W8A8+attention int8 (dB, rollout vs FP, 16 segments)\n");
            for (int h = 0; h < power.length; h++) {
                double sqnrPlain = 10 * Math.log10(power[h] / driftPlain[h]);
                double sqnrInt8 = 10 * Math.log10(power[h] / driftInt8[h]);
                table.append(String.format(Locale.ROOT, "%4d  %9.1f  %9.1f%n", h + 1, sqnrPlain, sqnrInt8));
                assertTrue(sqnrInt8 >= MIN_ROLLOUT_SQNR_DB, "step " + (h + 1) + ": " + sqnrInt8 + " dB\n" + table);
            }
            System.out.print(table);
        }
    }

    /** Mean square of FP's imagined visual latent after h = 1..H macro steps. */
    private static double[] power(OnnxWorldModel fp, List<RolloutDriftMeter.Segment> segments) {
        int horizon = segments.get(0).horizon();
        double[] p = new double[horizon];
        int dim = fp.actionNormalization().macroDim();
        for (RolloutDriftMeter.Segment s : segments) {
            Latent start = fp.encode(s.start());
            for (int h = 1; h <= horizon; h++) {
                float[] data = new float[h * dim];
                for (int t = 0; t < h; t++) {
                    System.arraycopy(fp.actionNormalization().normalize(s.macroActions()[t]), 0, data, t * dim, dim);
                }
                float[] v = fp.rollout(start, ActionBatch.single(h, dim, data))[0].visual();
                double sum = 0;
                for (float x : v) {
                    sum += (double) x * x;
                }
                p[h - 1] += sum / v.length / segments.size();
            }
        }
        return p;
    }

    private static Recipe small(Recipe r) {
        return new Recipe(r.name(), r.modules(), new CalibrationSettings(4, 1, null, null, null, 512, 64, 4, null));
    }

    private static BundleQuantizer.Result quantize(ModelBundle fp, Recipe recipe, Path out) {
        PlanningCalibration calibration = new PlanningCalibration(EpisodeSources.wall(),
                PlannerBudget.dinoWm("wall").withTopK(5).withSamples(20).withOptSteps(2), PlanningListener.NONE);
        return BundleQuantizer.quantize(fp, recipe, calibration, out, ModuleQuantizer.Options.defaults());
    }
}
