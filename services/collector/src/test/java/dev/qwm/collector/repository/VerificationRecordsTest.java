package dev.qwm.collector.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerificationRecordsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static ObjectNode valid() {
        ObjectNode r = JSON.createObjectNode().put("verification_id", "v-1").put("environment", "wall")
                .put("margin", 0.05).put("confidence", 0.95).put("budget", "max_iter=2").put("verdict", "PASS")
                .put("difference", -0.01).put("pairs", 40).put("episodes_planned", 80).put("machine", "Xeon, 2 cores");
        r.putObject("candidate").put("name", "wall-w8a8").put("sha256", "ab");
        r.putObject("reference").put("name", "wall").put("sha256", "cd");
        r.putObject("interval").put("lower", -0.04).put("upper", 0.02);
        r.putArray("study_ids").add("verify-a").add("verify-b");
        return r;
    }

    @Test
    void aCompleteRecordGivesItsColumns() {
        VerificationRecords.Verification v = VerificationRecords.verification("v-1", valid());
        assertEquals("PASS", v.verdict());
        assertEquals(-0.04, v.lower());
        assertEquals(List.of("verify-a", "verify-b"), v.studyIds());
        assertEquals(80, v.episodesPlanned());
        assertNull(v.searchId());
    }

    @Test
    void aWrongFieldIsNamed() {
        ObjectNode r = valid();
        r.put("verdict", "MAYBE");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> VerificationRecords.verification("v-1", r))
                .getMessage().contains("verdict"));
        ObjectNode noInterval = valid();
        noInterval.remove("interval");
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> VerificationRecords.verification("v-1", noInterval)).getMessage().contains("interval.lower"));
        ObjectNode otherId = valid();
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> VerificationRecords.verification("v-2", otherId)).getMessage().contains("in the path"));
        assertThrows(IllegalArgumentException.class, () -> VerificationRecords.verification("a/b", valid()));
        ObjectNode negative = valid();
        negative.put("pairs", -1);
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> VerificationRecords.verification("v-1", negative)).getMessage().contains("pairs"));
    }

    @Test
    void aSearchNeedsItsCandidates() {
        ObjectNode s = JSON.createObjectNode().put("environment", "wall").put("bundle", "models/wall")
                .put("budget", "bytes=0.25");
        assertThrows(IllegalArgumentException.class, () -> VerificationRecords.search("s", s));
        s.putArray("candidates");
        assertEquals("bytes=0.25", VerificationRecords.search("s", s).budget());
    }
}
