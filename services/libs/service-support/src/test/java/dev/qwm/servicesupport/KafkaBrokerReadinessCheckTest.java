package dev.qwm.servicesupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

/** A broker that does not answer makes the check down, with the reason, without waiting for Kafka's defaults. */
class KafkaBrokerReadinessCheckTest {

    @Test
    void downWithinItsTimeoutWhenNoBrokerAnswers() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort(); // free once closed: nothing listens there
        }
        KafkaBrokerReadinessCheck check = new KafkaBrokerReadinessCheck("127.0.0.1:" + port, Duration.ofMillis(500),
                "qwm-test-readiness");
        try {
            long start = System.nanoTime();
            HealthCheckResponse response = check.call();
            long tookMs = (System.nanoTime() - start) / 1_000_000;

            assertEquals(HealthCheckResponse.Status.DOWN, response.getStatus());
            assertEquals("Kafka broker", response.getName());
            assertTrue(response.getData().orElseThrow().containsKey("error"), "says why: " + response.getData());
            // within its own bound (0.5 s, plus the admin client's start), not the admin client's default minute;
            // the margin is wide so that a loaded machine cannot fail it
            assertTrue(tookMs < 30_000, "answered in " + tookMs + " ms");
        } finally {
            check.close();
        }
    }
}
