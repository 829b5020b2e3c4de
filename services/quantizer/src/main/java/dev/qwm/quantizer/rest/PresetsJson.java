package dev.qwm.quantizer.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** GET /api/v1/presets: the named recipes, the methods a preset may be combined with, and the module choices. */
public record PresetsJson(@JsonProperty("presets") List<PresetJson> presets,
                          @JsonProperty("methods") List<String> methods,
                          @JsonProperty("modules") List<String> modules) {
}
