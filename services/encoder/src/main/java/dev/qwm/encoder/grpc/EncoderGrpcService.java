package dev.qwm.encoder.grpc;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.api.common.v1.Tensor;
import dev.qwm.api.encoder.v1.EncodeRequest;
import dev.qwm.api.encoder.v1.EncodeResponse;
import dev.qwm.api.encoder.v1.EncoderService;
import dev.qwm.api.encoder.v1.ListLoadedRequest;
import dev.qwm.api.encoder.v1.ListLoadedResponse;
import dev.qwm.encoder.config.EncoderConfig;
import dev.qwm.encoder.inference.EncoderArtifacts;
import dev.qwm.encoder.inference.LoadedEncoder;
import dev.qwm.encoder.mapping.EncoderTensors;
import io.grpc.Status;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

/** {@code qwm.encoder.v1.EncoderService}: a thin adapter from protobuf tensors to {@link EncoderArtifacts}. */
@GrpcService
public class EncoderGrpcService implements EncoderService {

    private final EncoderArtifacts artifacts;
    private final EncoderConfig config;
    private final MeterRegistry registry;
    private final DistributionSummary batchSizes;

    public EncoderGrpcService(EncoderArtifacts artifacts, EncoderConfig config, MeterRegistry registry) {
        this.artifacts = artifacts;
        this.config = config;
        this.registry = registry;
        this.batchSizes = DistributionSummary.builder("qwm.encoder.batch.size")
                .description("images per Encode call").register(registry);
    }

    @Override
    @Blocking
    public Uni<EncodeResponse> encode(EncodeRequest request) {
        try {
            Tensor images = request.getImages();
            int batch = EncoderTensors.batchOf(images, config.maxBatch());
            LoadedEncoder encoder = artifacts.get(request.getEncoder());
            EncoderTensors.requireSize(images, encoder.imageSize(), encoder.label());
            batchSizes.record(batch);
            Timer.Sample sample = Timer.start(registry);
            float[] latents = encoder.encode(images.getData().asReadOnlyByteBuffer(), batch);
            sample.stop(registry.timer("qwm.encoder.encode", "artifact", encoder.label()));
            Tensor out = EncoderTensors.latents(latents, batch, encoder.numPatches(), encoder.latentDim());
            return Uni.createFrom().item(EncodeResponse.newBuilder().setLatents(out)
                    .setRanOn(EncoderTensors.ranOn(artifacts.runEnvironment())).build());
        } catch (IllegalArgumentException e) {
            registry.counter("qwm.encoder.rejected").increment();
            return Uni.createFrom().failure(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        }
    }

    @Override
    public Uni<ListLoadedResponse> listLoaded(ListLoadedRequest request) {
        ListLoadedResponse.Builder response = ListLoadedResponse.newBuilder();
        for (LoadedEncoder e : artifacts.loaded()) {
            response.addArtifacts(ArtifactRef.newBuilder().setSha256(e.sha256()).setBundle(e.bundle())
                    .setLabel(e.label()).setComponent(ModelComponent.MODEL_COMPONENT_ENCODER));
        }
        return Uni.createFrom().item(response.build());
    }

}
