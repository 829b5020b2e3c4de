package dev.qwm.quantizer.rest;

import com.fasterxml.jackson.annotation.JsonProperty;

public record PresetJson(@JsonProperty("name") String name, @JsonProperty("description") String description) {
}
