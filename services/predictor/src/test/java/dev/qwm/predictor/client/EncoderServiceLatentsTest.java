package dev.qwm.predictor.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.encoder.v1.EncoderServiceGrpc;
import dev.qwm.infra.Ports;
import dev.qwm.predictor.Requests;
import dev.qwm.predictor.TestConfig;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** An encoder service that does not answer makes Encode UNAVAILABLE (naming where it was looked for) and readiness down. */
class EncoderServiceLatentsTest {

    @Test
    void anUnreachableEncoderIsUnavailableWithItsAddress() throws InterruptedException {
        int port = Ports.free(); // nobody listens there
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            EncoderServiceLatents latents = new EncoderServiceLatents(EncoderServiceGrpc.newBlockingStub(channel),
                    TestConfig.defaults(), new SimpleMeterRegistry(), "127.0.0.1", port);
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> latents.encode(
                    ArtifactRef.newBuilder().setBundle("/models/wall").build(), Requests.images(new byte[12], 1, 2)));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("127.0.0.1:" + port), e.getStatus().getDescription());
            String reason = latents.unreachableReason();
            assertTrue(reason != null && reason.contains("UNAVAILABLE"), reason);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
