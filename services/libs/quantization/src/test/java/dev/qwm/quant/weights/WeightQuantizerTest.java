package dev.qwm.quant.weights;

import dev.qwm.quant.core.ErrorMetrics;
import dev.qwm.quant.core.GroupLayout;
import dev.qwm.quant.core.LinearAlgebra;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.core.WeightRounding;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.recipe.WeightSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeightQuantizerTest {

    static float[] gaussian(int n, long seed, double std) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * std);
        }
        return a;
    }

    /** Inputs with strongly correlated channels and a few large-variance ones: X = Z·M, Z Gaussian, M mixing. */
    static float[] correlatedInputs(int rows, int in, long seed) {
        Random r = new Random(seed);
        int latent = Math.max(4, in / 8);
        float[] m = new float[latent * in];
        for (int i = 0; i < m.length; i++) {
            m[i] = (float) r.nextGaussian();
        }
        float[] x = new float[rows * in];
        for (int row = 0; row < rows; row++) {
            double[] z = new double[latent];
            for (int j = 0; j < latent; j++) {
                z[j] = r.nextGaussian();
            }
            for (int k = 0; k < in; k++) {
                double v = 0.1 * r.nextGaussian();
                for (int j = 0; j < latent; j++) {
                    v += z[j] * m[j * in + k];
                }
                x[row * in + k] = (float) (v * (k % 17 == 0 ? 6 : 1));
            }
        }
        return x;
    }

    /** A direct transcription of the min-max rule, to check the library bit for bit. */
    static float[] referenceRtn(float[] w, int out, int in, int bits, int group) {
        int g = group == 0 ? in : group;
        float[] deq = new float[w.length];
        int qmax = (1 << (bits - 1)) - 1;
        int qmin = -(1 << (bits - 1));
        for (int n = 0; n < out; n++) {
            for (int start = 0; start < in; start += g) {
                int end = Math.min(in, start + g);
                float m = 0;
                for (int k = start; k < end; k++) {
                    m = Math.max(m, Math.abs(w[n * in + k]));
                }
                float s = (float) (m / ((qmax - qmin) / 2.0));
                for (int k = start; k < end; k++) {
                    float q = Math.max(qmin, Math.min(qmax, (float) Math.rint(w[n * in + k] / s)));
                    deq[n * in + k] = q * s + 0f; // integer codes have no −0
                }
            }
        }
        return deq;
    }

    @ParameterizedTest
    @CsvSource({"8,0", "6,0", "4,0", "3,0", "2,0", "4,32", "4,64", "4,128", "3,128", "8,128", "2,32"})
    void rtnMatchesThePlainRuleBitForBit(int bits, int group) {
        int out = 24;
        int in = 404; // not a multiple of 32, 64 or 128: every row ends with a short group
        float[] w = gaussian(out * in, 7, 0.05);
        QuantizedWeights q = RtnQuantizer.quantize(w, out, in, new WeightSpec(bits, group));
        assertArrayEquals(referenceRtn(w, out, in, bits, group), q.dequantize());
    }

    @Test
    void groupsStayInsideTheirRowAndTheRemainderHasItsOwnScale() {
        int out = 3;
        int in = 404;
        float[] w = new float[out * in];
        // row n: the last 20 weights (the remainder of 404 = 3·128 + 20) are 100× larger than the rest
        for (int n = 0; n < out; n++) {
            for (int k = 0; k < in; k++) {
                w[n * in + k] = (k >= 384 ? 1f : 0.01f) * (n + 1) * ((k % 7) - 3);
            }
        }
        QuantizedWeights q = RtnQuantizer.quantize(w, out, in, WeightSpec.grouped(4, 128));
        assertEquals(4, q.layout().groupsPerRow());
        assertEquals(20, q.layout().remainder());
        for (int n = 0; n < out; n++) {
            // the small groups are not drowned by the large remainder, whatever row they sit in
            assertEquals(0.03f * (n + 1) / 7.5f, q.scale(n, 0), 1e-7);
            assertEquals(3f * (n + 1) / 7.5f, q.scale(n, 400), 1e-6);
        }
        assertTrue(ErrorMetrics.relativeError(w, q.dequantize()) < 0.08);
    }

    @ParameterizedTest
    @CsvSource({"4,0", "3,0", "4,128", "2,64"})
    void omseChoosesAmongQuantWmsCandidatesAndBeatsRtnWithOutliers(int bits, int group) {
        int out = 32;
        int in = 200;
        float[] w = gaussian(out * in, 11, 1);
        // heavy tails: a few outliers per row make min-max scales too coarse
        for (int n = 0; n < out; n++) {
            w[n * in + (n * 13) % in] *= 8;
        }
        WeightSpec spec = new WeightSpec(bits, group);
        double rtn = ErrorMetrics.mse(w, RtnQuantizer.quantize(w, out, in, spec).dequantize());
        QuantizedWeights q = OmseQuantizer.quantize(w, out, in, spec, new MethodOptions.Omse(null, null));
        double omse = ErrorMetrics.mse(w, q.dequantize());
        assertTrue(omse < 0.9 * rtn, "with outliers clipping must help: omse " + omse + " rtn " + rtn);
        // every scale is r·max|w| / qmax for an r of the grid (QuantWM's divisor: 7 at 4 bits, not RTN's 7.5)
        GroupLayout l = q.layout();
        for (int n = 0; n < out; n++) {
            for (int g = 0; g < l.groupsPerRow(); g++) {
                float absMax = WeightRounding.absMax(w, n * in + l.start(g), n * in + l.end(g));
                float s = q.scale(n, l.start(g));
                boolean onGrid = false;
                for (int i = 0; i < 101; i++) {
                    onGrid |= s == OmseQuantizer.candidate(absMax, 0.35 + 0.65 * i / 100, spec);
                }
                assertTrue(onGrid, "scale " + s + " of row " + n + " group " + g + " is not a QuantWM candidate");
            }
        }
        // the r = 1 candidate is max|w| / qmax, a step wider than RTN's max|w| / ((qmax − qmin) / 2)
        assertEquals(8f / spec.qmax(), OmseQuantizer.candidate(8f, 1.0, spec), 0f);
    }

    static double outputError(float[] x, int rows, int in, float[] w, float[] wq, int out) {
        return ErrorMetrics.mse(LinearAlgebra.linear(x, rows, in, w, out), LinearAlgebra.linear(x, rows, in, wq, out));
    }

    @ParameterizedTest
    @CsvSource({"4,0,false", "4,0,true", "3,0,false", "4,32,false", "4,128,false", "4,128,true", "2,64,true", "8,0,false"})
    void gptqBeatsRtnOnTheOutputOfCorrelatedInputs(int bits, int group, boolean actOrder) {
        int out = 48;
        int in = 200; // 200 = 128 + 72 and 6·32 + 8: short last groups
        int rows = 1024;
        float[] w = gaussian(out * in, 3, 0.1);
        float[] x = correlatedInputs(rows, in, 5);
        double[] h = new double[in * in];
        LinearAlgebra.accumulateGram(h, x, rows, in);
        WeightSpec spec = new WeightSpec(bits, group);
        QuantizedWeights gptq = GptqQuantizer.quantize(w, out, in, spec, h, new MethodOptions.Gptq(0.01, 64, actOrder));
        QuantizedWeights rtn = RtnQuantizer.quantize(w, out, in, spec);
        // held-out rows from the same distribution: the gain is not overfitting
        float[] xTest = correlatedInputs(512, in, 5);
        double eg = outputError(xTest, 512, in, w, gptq.dequantize(), out);
        double er = outputError(xTest, 512, in, w, rtn.dequantize(), out);
        assertTrue(eg < 0.8 * er, "GPTQ output MSE " + eg + " should be well below RTN's " + er);
    }

    @Test
    void gptqWithAnUncorrelatedHessianIsRtn() {
        // H = c·I: no error to compensate across columns, so GPTQ must round exactly like RTN.
        int out = 16;
        int in = 96;
        float[] w = gaussian(out * in, 9, 0.2);
        double[] h = new double[in * in];
        for (int i = 0; i < in; i++) {
            h[i * in + i] = 3.0;
        }
        for (WeightSpec spec : new WeightSpec[]{WeightSpec.perChannel(4), WeightSpec.grouped(3, 32)}) {
            QuantizedWeights g = GptqQuantizer.quantize(w, out, in, spec, h, new MethodOptions.Gptq(null, null, null));
            assertArrayEquals(RtnQuantizer.quantize(w, out, in, spec).codes(), g.codes(), spec.toString());
        }
    }

    @Test
    void gptqDropsDeadInputColumns() {
        int out = 8;
        int in = 64;
        int rows = 256;
        float[] w = gaussian(out * in, 1, 0.3);
        float[] x = correlatedInputs(rows, in, 2);
        for (int r = 0; r < rows; r++) {
            x[r * in + 5] = 0; // channel 5 never carries signal
        }
        double[] h = new double[in * in];
        LinearAlgebra.accumulateGram(h, x, rows, in);
        QuantizedWeights q = GptqQuantizer.quantize(w, out, in, WeightSpec.perChannel(4), h, new MethodOptions.Gptq(null, null, true));
        for (int n = 0; n < out; n++) {
            assertEquals(0, q.codes()[n * in + 5]);
        }
    }

    @Test
    void hessianClipSearchNeverLosesToRtnOnTheOutput() {
        int out = 32;
        int in = 160;
        int rows = 600;
        float[] w = gaussian(out * in, 21, 0.1);
        for (int n = 0; n < out; n++) {
            w[n * in + (n * 7) % in] *= 10;
        }
        float[] x = correlatedInputs(rows, in, 8);
        double[] h = new double[in * in];
        LinearAlgebra.accumulateGram(h, x, rows, in);
        for (WeightSpec spec : new WeightSpec[]{WeightSpec.perChannel(4), WeightSpec.grouped(4, 64), WeightSpec.perChannel(3)}) {
            QuantizedWeights clip = HessianClipSearch.search(w, out, in, spec, h, HessianClipSearch.evenGrid(0.5, 20), 2);
            double ec = outputError(x, rows, in, w, clip.dequantize(), out);
            double er = outputError(x, rows, in, w, RtnQuantizer.quantize(w, out, in, spec).dequantize(), out);
            assertTrue(ec <= er * (1 + 1e-9), spec + ": clip " + ec + " rtn " + er);
        }
    }
}
