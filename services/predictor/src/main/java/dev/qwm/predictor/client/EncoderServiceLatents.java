package dev.qwm.predictor.client;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.Tensor;
import dev.qwm.api.encoder.v1.EncodeRequest;
import dev.qwm.api.encoder.v1.EncodeResponse;
import dev.qwm.api.encoder.v1.EncoderServiceGrpc;
import dev.qwm.api.encoder.v1.ListLoadedRequest;
import dev.qwm.predictor.config.PredictorConfig;
import dev.qwm.predictor.mapping.Tensors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Visual latents from the encoder service over gRPC ({@code quarkus.grpc.clients.encoder.*}), each call with the
 * deadline {@link PredictorConfig#encoderDeadline()}.
 */
@ApplicationScoped
public class EncoderServiceLatents implements VisualLatents {

    private final EncoderServiceGrpc.EncoderServiceBlockingStub encoder;
    private final PredictorConfig config;
    private final String address;
    private final Timer latency;

    public EncoderServiceLatents(@GrpcClient("encoder") EncoderServiceGrpc.EncoderServiceBlockingStub encoder,
                                 PredictorConfig config, MeterRegistry registry,
                                 @ConfigProperty(name = "quarkus.grpc.clients.encoder.host") String host,
                                 @ConfigProperty(name = "quarkus.grpc.clients.encoder.port") int port) {
        this.encoder = encoder;
        this.config = config;
        this.address = host + ":" + port;
        this.latency = Timer.builder("qwm.predictor.encoder.calls").description("Encode calls to the encoder service")
                .register(registry);
    }

    @Override
    public Encoded encode(ArtifactRef ref, Tensor images) {
        EncodeResponse response;
        Timer.Sample sample = Timer.start();
        try {
            response = encoder.withDeadlineAfter(config.encoderDeadline().toMillis(), TimeUnit.MILLISECONDS)
                    .encode(EncodeRequest.newBuilder().setEncoder(ref).setImages(images).build());
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code == Status.Code.INVALID_ARGUMENT || code == Status.Code.NOT_FOUND) {
                throw new IllegalArgumentException("the encoder service refused: " + e.getStatus().getDescription(), e);
            }
            throw Status.UNAVAILABLE.withDescription("the encoder service at " + address + " failed: " + code
                    + (e.getStatus().getDescription() == null ? "" : " " + e.getStatus().getDescription()))
                    .withCause(e).asRuntimeException();
        } finally {
            sample.stop(latency);
        }
        Tensor latents = response.getLatents();
        float[] values = Tensors.floats(latents, "the encoder service's latents", 3, "[frames, patches, dim]");
        return new Encoded(values, (int) latents.getShape(0), (int) latents.getShape(1), (int) latents.getShape(2),
                response.hasRanOn() ? response.getRanOn() : null);
    }

    @Override
    public String unreachableReason() {
        try {
            encoder.withDeadlineAfter(config.encoderProbeTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .listLoaded(ListLoadedRequest.getDefaultInstance());
            return null;
        } catch (StatusRuntimeException e) {
            return "encoder service at " + address + ": " + e.getStatus().getCode()
                    + (e.getStatus().getDescription() == null ? "" : " " + e.getStatus().getDescription());
        }
    }
}
