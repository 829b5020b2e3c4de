package dev.qwm.quantizer.rest;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Answer to POST /api/v1/quantizations: the job id, and whether the bundle was already there. */
public record Submitted(@JsonProperty("job_id") String jobId, @JsonProperty("state") String state,
                        @JsonProperty("reused") boolean reused) {
}
