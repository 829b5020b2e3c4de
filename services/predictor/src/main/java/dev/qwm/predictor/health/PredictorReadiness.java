package dev.qwm.predictor.health;

import dev.qwm.predictor.client.VisualLatents;
import dev.qwm.predictor.inference.PredictorArtifacts;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only once every configured predictor artifact is loaded and warm, and the encoder service answers. */
@Readiness
@ApplicationScoped
public class PredictorReadiness implements HealthCheck {

    private final PredictorArtifacts artifacts;
    private final VisualLatents encoder;

    public PredictorReadiness(PredictorArtifacts artifacts, VisualLatents encoder) {
        this.artifacts = artifacts;
        this.encoder = encoder;
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("predictor")
                .withData("loaded", artifacts.loaded().size())
                .withData("artifacts-ready", artifacts.ready());
        boolean up = artifacts.ready();
        if (artifacts.preloadFailure() != null) {
            response.withData("artifacts-error", artifacts.preloadFailure());
            up = false;
        }
        String unreachable = encoder.unreachableReason();
        response.withData("encoder-reachable", unreachable == null);
        if (unreachable != null) {
            response.withData("encoder-error", unreachable);
            up = false;
        }
        return response.status(up).build();
    }
}
