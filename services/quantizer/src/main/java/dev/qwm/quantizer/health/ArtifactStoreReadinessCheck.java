package dev.qwm.quantizer.health;

import dev.qwm.quantizer.store.ArtifactStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the artifact store exists (or can be created) and is writable. */
@Readiness
@ApplicationScoped
public class ArtifactStoreReadinessCheck implements HealthCheck {

    private final ArtifactStore store;

    public ArtifactStoreReadinessCheck(ArtifactStore store) {
        this.store = store;
    }

    @Override
    public HealthCheckResponse call() {
        Optional<String> problem = store.problem();
        return HealthCheckResponse.named("artifact store").status(problem.isEmpty())
                .withData("root", store.root().toString())
                .withData("error", problem.orElse("none")).build();
    }
}
