package dev.qwm.quantizer.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** Answer to POST /api/v1/artifacts: the artifacts announced. */
public record Registered(@JsonProperty("artifacts") List<JobJson.ArtifactJson> artifacts) {
}
