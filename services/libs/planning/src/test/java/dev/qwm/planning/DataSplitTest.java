package dev.qwm.planning;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DataSplitTest {

    @Test
    void calibrationSeedsAreTheTrainingSplitAndEverythingElseEvaluates() {
        assertEquals(DataSplit.TRAIN, DataSplit.forSeedOffset(2));
        assertEquals(DataSplit.VALIDATION, DataSplit.forSeedOffset(1));
        assertEquals(DataSplit.VALIDATION, DataSplit.forSeedOffset(0));
    }
}
