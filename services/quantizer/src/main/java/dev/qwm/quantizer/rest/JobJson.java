package dev.qwm.quantizer.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.quantizer.job.Artifact;
import dev.qwm.quantizer.job.JobView;
import java.util.List;

/** A job as GET /api/v1/quantizations/{id} returns it; {@code manifest} is the quantization manifest as JSON. */
public record JobJson(@JsonProperty("job_id") String jobId,
                      @JsonProperty("state") String state,
                      @JsonProperty("progress") double progress,
                      @JsonProperty("message") String message,
                      @JsonProperty("source_bundle") String sourceBundle,
                      @JsonProperty("recipe") String recipe,
                      @JsonProperty("bundle") String bundle,
                      @JsonProperty("artifacts") List<ArtifactJson> artifacts,
                      @JsonProperty("manifest") JsonNode manifest,
                      @JsonProperty("reused") boolean reused,
                      @JsonProperty("submitted_at_unix_ms") long submittedAtUnixMs,
                      @JsonProperty("finished_at_unix_ms") Long finishedAtUnixMs) {

    /** {@code component} is {@code encoder} or {@code predictor}; {@code file} the bundle component it is. */
    public record ArtifactJson(@JsonProperty("component") String component,
                               @JsonProperty("file") String file,
                               @JsonProperty("sha256") String sha256,
                               @JsonProperty("bundle") String bundle,
                               @JsonProperty("label") String label,
                               @JsonProperty("bytes") long bytes,
                               @JsonProperty("quantized") boolean quantized) {

        static ArtifactJson of(Artifact a) {
            return new ArtifactJson(a.component() == ModelComponent.MODEL_COMPONENT_ENCODER ? "encoder" : "predictor",
                    a.file(), a.sha256(), a.bundle(), a.label(), a.bytes(), a.quantized());
        }
    }

    static JobJson of(JobView j) {
        return new JobJson(j.id(), j.state().name(), j.progress(), j.message(), emptyToNull(j.sourceBundle()),
                emptyToNull(j.recipeName()), j.bundle(), j.artifacts().stream().map(ArtifactJson::of).toList(),
                QuantizationResource.parse(j.manifestJson()), j.reused(), j.submittedAtUnixMs(), j.finishedAtUnixMs());
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
