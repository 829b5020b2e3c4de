package dev.qwm.quantizer.grpc;

import dev.qwm.api.quantizer.v1.QuantizerApi.CancelQuantizationJobRequest;
import dev.qwm.api.quantizer.v1.QuantizerApi.GetQuantizationJobRequest;
import dev.qwm.api.quantizer.v1.QuantizerApi.GetQuantizationJobResponse;
import dev.qwm.api.quantizer.v1.QuantizerApi.JobState;
import dev.qwm.api.quantizer.v1.QuantizerService;
import dev.qwm.api.quantizer.v1.QuantizerApi.SubmitQuantizationRequest;
import dev.qwm.api.quantizer.v1.QuantizerApi.SubmitQuantizationResponse;
import dev.qwm.quant.recipe.Recipe;
import dev.qwm.quant.recipe.RecipeException;
import dev.qwm.quantizer.job.Artifact;
import dev.qwm.quantizer.job.InvalidSubmissionException;
import dev.qwm.quantizer.job.JobView;
import dev.qwm.quantizer.job.QuantizationService;
import dev.qwm.quantizer.job.QueueFullException;
import dev.qwm.quantizer.job.UnknownJobException;
import dev.qwm.quantizer.recipe.RecipeRequests;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import java.util.function.Supplier;

/** {@code qwm.quantizer.v1.QuantizerService}: a thin adapter from protobuf to {@link QuantizationService}. */
@GrpcService
public class QuantizerGrpcService implements QuantizerService {

    private final QuantizationService jobs;

    public QuantizerGrpcService(QuantizationService jobs) {
        this.jobs = jobs;
    }

    @Override
    @Blocking
    public Uni<SubmitQuantizationResponse> submitQuantization(SubmitQuantizationRequest request) {
        return call(() -> {
            Recipe recipe = RecipeRequests.fromSubmission(request.getPreset(), request.getPresetModulesList(), request.getRecipe());
            // calibration episodes named explicitly are planned even when the recipe needs no data (layer errors)
            boolean calibrate = request.hasRecipe() && request.getRecipe().hasCalibration()
                    && request.getRecipe().getCalibration().getEpisodes() > 0;
            JobView job = jobs.submit(request.getSourceBundle(), recipe, calibrate);
            return SubmitQuantizationResponse.newBuilder().setJobId(job.id()).build();
        });
    }

    @Override
    @Blocking
    public Uni<GetQuantizationJobResponse> getQuantizationJob(GetQuantizationJobRequest request) {
        return call(() -> toProto(jobs.get(request.getJobId())));
    }

    @Override
    @Blocking
    public Uni<GetQuantizationJobResponse> cancelQuantizationJob(CancelQuantizationJobRequest request) {
        return call(() -> toProto(jobs.cancel(request.getJobId())));
    }

    static GetQuantizationJobResponse toProto(JobView job) {
        GetQuantizationJobResponse.Builder b = GetQuantizationJobResponse.newBuilder()
                .setJobId(job.id())
                .setState(switch (job.state()) {
                    case RUNNING -> JobState.JOB_STATE_RUNNING;
                    case SUCCEEDED -> JobState.JOB_STATE_SUCCEEDED;
                    case FAILED -> JobState.JOB_STATE_FAILED;
                    case CANCELLED -> JobState.JOB_STATE_CANCELLED;
                })
                .setProgress((float) job.progress())
                .setMessage(job.message() == null ? "" : job.message());
        if (job.bundle() != null) {
            b.setBundle(job.bundle());
        }
        for (Artifact a : job.artifacts()) {
            b.addArtifacts(a.ref());
        }
        if (job.manifestJson() != null) {
            b.setManifestJson(job.manifestJson());
        }
        return b.build();
    }

    private static <T> Uni<T> call(Supplier<T> body) {
        try {
            return Uni.createFrom().item(body.get());
        } catch (RecipeException | InvalidSubmissionException e) {
            return Uni.createFrom().failure(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        } catch (UnknownJobException e) {
            return Uni.createFrom().failure(Status.NOT_FOUND.withDescription(e.getMessage()).asRuntimeException());
        } catch (QueueFullException e) {
            return Uni.createFrom().failure(Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()).asRuntimeException());
        } catch (IllegalStateException e) {
            return Uni.createFrom().failure(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
        }
    }
}
