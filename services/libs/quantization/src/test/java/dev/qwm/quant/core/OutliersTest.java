package dev.qwm.quant.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OutliersTest {

    @Test
    void oneLargeChannelStandsOutByItsRatioToTheMedian() {
        assertEquals(1.0, Outliers.maxOverMedian(new float[]{2, 2, 2, 2}), 0);
        assertEquals(20.0, Outliers.maxOverMedian(new float[]{1, 1, 1, 20}), 0); // median of 1,1,1,20 is 1
        assertEquals(4.0, Outliers.maxOverMedian(new float[]{3, 1, 2, 8, 2}), 0);
        assertTrue(Double.isNaN(Outliers.maxOverMedian(new float[]{0, 0, 5})));
    }

    @Test
    void aRowsCrestIsOneForEqualMagnitudesAndRootOfWidthForOneSpike() {
        float[] w = {
                1, -1, 1, -1,   // crest 1
                0, 0, 0, 3,     // crest √4 = 2
                0, 0, 0, 0};    // all zero: ignored
        assertEquals(1.5, Outliers.medianRowCrest(w, 3, 4), 1e-12);
        assertEquals(2.0, Outliers.medianRowCrest(new float[]{0, 0, 0, 3}, 1, 4), 1e-12);
        assertTrue(Double.isNaN(Outliers.medianRowCrest(new float[4], 2, 2)));
        assertThrows(IllegalArgumentException.class, () -> Outliers.medianRowCrest(new float[5], 2, 2));
    }
}
