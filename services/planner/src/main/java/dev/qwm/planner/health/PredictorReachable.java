package dev.qwm.planner.health;

import dev.qwm.api.predictor.v1.CloseSessionRequest;
import dev.qwm.api.predictor.v1.PredictorServiceGrpc.PredictorServiceBlockingStub;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the predictor service answers (closing an unknown session is a harmless probe). */
@Readiness
@ApplicationScoped
public class PredictorReachable implements HealthCheck {

    private final PredictorServiceBlockingStub predictor;

    public PredictorReachable(@GrpcClient("predictor") PredictorServiceBlockingStub predictor) {
        this.predictor = predictor;
    }

    @Override
    public HealthCheckResponse call() {
        try {
            predictor.withDeadlineAfter(2, TimeUnit.SECONDS)
                    .closeSession(CloseSessionRequest.newBuilder().setSessionId("readiness-probe").build());
            return HealthCheckResponse.up("predictor-service");
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            // any answer means it is there, but a refused token or certificate is a stack that cannot plan
            boolean answered = code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED
                    && code != Status.Code.UNAUTHENTICATED && code != Status.Code.PERMISSION_DENIED;
            return HealthCheckResponse.named("predictor-service").status(answered)
                    .withData("status", code.name()).build();
        }
    }
}
