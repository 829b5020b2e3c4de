package dev.qwm.predictor.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

class RolloutAdmissionTest {

    @Test
    void aSessionHasAtMostItsShareOfCallsInProgress() {
        RolloutAdmission admission = new RolloutAdmission(2, 1_000_000);
        RolloutAdmission.Ticket one = admission.admit("s", 10);
        RolloutAdmission.Ticket two = admission.admit("s", 10);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> admission.admit("s", 10));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("session s has 2 Rollout calls queued or running; the limit"
                + " (predictor.max-rollouts-per-session) is 2"), e.getStatus().getDescription());
        admission.admit("other", 10).close(); // another session is not held up by this one
        one.close();
        admission.admit("s", 10).close();
        two.close();
        assertEquals(0, admission.candidateSteps());
    }

    @Test
    void allCallsTogetherHoldAtMostTheQueueLimitOfCandidateSteps() {
        RolloutAdmission admission = new RolloutAdmission(2, 3000);
        RolloutAdmission.Ticket a = admission.admit("a", 1500);
        RolloutAdmission.Ticket b = admission.admit("b", 1500);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> admission.admit("c", 1));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("3000 candidate steps queued or running and this call adds"
                + " 1; the limit (predictor.max-queued-candidate-steps) is 3000"), e.getStatus().getDescription());
        assertEquals(3000, admission.candidateSteps(), "a refused call takes nothing");
        // refused for the queue, the call does not count against its session either
        a.close();
        RolloutAdmission.Ticket c1 = admission.admit("c", 1000);
        RolloutAdmission.Ticket c2 = admission.admit("c", 500);
        c1.close();
        c2.close();
        b.close();
        assertEquals(0, admission.candidateSteps());
    }
}
