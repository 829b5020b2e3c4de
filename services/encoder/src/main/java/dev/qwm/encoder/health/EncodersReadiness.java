package dev.qwm.encoder.health;

import dev.qwm.encoder.inference.EncoderArtifacts;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only once every configured encoder artifact is loaded and warm. */
@Readiness
@ApplicationScoped
public class EncodersReadiness implements HealthCheck {

    private final EncoderArtifacts artifacts;

    public EncodersReadiness(EncoderArtifacts artifacts) {
        this.artifacts = artifacts;
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("encoder-artifacts")
                .withData("loaded", artifacts.loaded().size());
        if (artifacts.preloadFailure() != null) {
            return response.withData("error", artifacts.preloadFailure()).down().build();
        }
        return response.status(artifacts.ready()).build();
    }
}
