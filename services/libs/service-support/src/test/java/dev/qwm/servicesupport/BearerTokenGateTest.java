package dev.qwm.servicesupport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class BearerTokenGateTest {

    private static final String TOKEN = "0123456789abcdef0123";

    @Test
    void onlyTheExactTokenPassesExceptOnProbesAndMetrics() {
        BearerTokenGate gate = new BearerTokenGate(TOKEN);
        assertTrue(gate.allows("/api/v1/studies", "Bearer " + TOKEN));
        assertTrue(gate.allows("/qwm.encoder.v1.EncoderService/Encode", "Bearer " + TOKEN));
        assertFalse(gate.allows("/api/v1/studies", null));
        assertFalse(gate.allows("/api/v1/studies", "Bearer " + TOKEN + "x"));
        assertFalse(gate.allows("/api/v1/studies", "Bearer " + TOKEN.substring(1)));
        assertFalse(gate.allows("/api/v1/studies", TOKEN));
        assertFalse(gate.allows("/qwm.encoder.v1.EncoderService/Encode", "Basic " + TOKEN));
        assertTrue(gate.allows("/q/health/ready", null));
        assertTrue(gate.allows("/q/health", null));
        assertTrue(gate.allows("/q/metrics", null));
        assertFalse(gate.allows("/q/healthy", null));
        assertFalse(gate.allows("/q/dev-ui", null));
    }

    @Test
    void aShortTokenIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BearerTokenGate.install(null, Optional.of("short")));
        assertTrue(e.getMessage().contains("qwm.auth.token"), e.getMessage());
        assertFalse(BearerTokenGate.install(null, Optional.empty()));
    }
}
