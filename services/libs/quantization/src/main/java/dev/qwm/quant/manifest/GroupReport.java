package dev.qwm.quant.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * What an equivalent-transform method did to the layers reading one LayerNorm output.
 *
 * @param baselineError objective with plain min-max rounding and no transform
 * @param error         objective with the chosen transform and weights
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GroupReport(String layerNorm, List<String> layers, String method, boolean applied, String reason,
                          String objective, Double baselineError, Double error, String detail) {
}
