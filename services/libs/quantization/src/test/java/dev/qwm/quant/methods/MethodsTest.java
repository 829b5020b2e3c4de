package dev.qwm.quant.methods;

import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.weights.RtnQuantizer;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MethodsTest {

    @Test
    void everyMethodHasOneStrategyThatSaysWhatItNeeds() {
        for (QuantMethod m : QuantMethod.values()) {
            assertEquals(m, Methods.of(m).id());
        }
        MethodOptions defaults = MethodOptions.DEFAULTS;
        assertFalse(Methods.of(QuantMethod.RTN).needsGram(defaults));
        assertTrue(Methods.of(QuantMethod.GPTQ).needsGram(defaults));
        assertEquals(QuantizationMethod.Transform.FROM_STATISTICS, Methods.of(QuantMethod.SMOOTHQUANT).transform());
        assertEquals(QuantizationMethod.Transform.SEARCHED_ON_BLOCK_OUTPUT, Methods.of(QuantMethod.AWQ).transform());
        assertEquals(QuantizationMethod.Transform.NONE, Methods.of(QuantMethod.OMSE).transform());
        // SmoothQuant's weights are rounded by the method its options name, and need what that method needs
        MethodOptions sqGptq = new MethodOptions(null, new MethodOptions.SmoothQuant(0.5, QuantMethod.GPTQ), null, null, null);
        assertTrue(Methods.of(QuantMethod.SMOOTHQUANT).needsGram(sqGptq));
        assertFalse(Methods.of(QuantMethod.SMOOTHQUANT).needsGram(defaults));
        float[] w = new float[8 * 16];
        Random r = new Random(3);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        QuantizedWeights sq = Methods.of(QuantMethod.SMOOTHQUANT).round(w, 8, 16, WeightSpec.perChannel(4), null, defaults);
        assertArrayEquals(RtnQuantizer.quantize(w, 8, 16, WeightSpec.perChannel(4)).codes(), sq.codes());
    }
}
