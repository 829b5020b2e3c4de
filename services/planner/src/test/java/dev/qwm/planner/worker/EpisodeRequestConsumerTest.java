package dev.qwm.planner.worker;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import org.junit.jupiter.api.Test;

class EpisodeRequestConsumerTest {

    @Test
    void requestsThePredictorRefusesGoToTheDeadLetterTopicOthersAreRetried() {
        assertTrue(EpisodeRequestConsumer.refusedForGood(
                Status.INVALID_ARGUMENT.withDescription("horizon 300 exceeds 256").asRuntimeException()));
        assertTrue(EpisodeRequestConsumer.refusedForGood(new IllegalStateException("rollout failed",
                Status.OUT_OF_RANGE.asRuntimeException())), "found under a wrapper");
        assertFalse(EpisodeRequestConsumer.refusedForGood(Status.UNAVAILABLE.asRuntimeException()));
        assertFalse(EpisodeRequestConsumer.refusedForGood(Status.DEADLINE_EXCEEDED.asRuntimeException()));
        assertFalse(EpisodeRequestConsumer.refusedForGood(Status.NOT_FOUND.withDescription("session expired").asRuntimeException()));
        assertFalse(EpisodeRequestConsumer.refusedForGood(new IllegalStateException("no gRPC status")));
    }
}
