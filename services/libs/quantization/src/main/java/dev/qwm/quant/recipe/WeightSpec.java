package dev.qwm.quant.recipe;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonGetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * Weight format: signed symmetric {@code bits}-bit integers (zero point 0), one scale per output channel
 * ({@code groupSize == 0}) or per group of {@code groupSize} consecutive input weights of one output channel.
 * Groups never straddle output channels: when the input width is not a multiple of the group size, each channel's
 * last group is shorter.
 */
public record WeightSpec(int bits, int groupSize) {

    public static final List<Integer> SUPPORTED_BITS = List.of(2, 3, 4, 6, 8);
    public static final List<Integer> SUPPORTED_GROUPS = List.of(32, 64, 128);

    public static WeightSpec perChannel(int bits) {
        return new WeightSpec(bits, 0);
    }

    public static WeightSpec grouped(int bits, int groupSize) {
        return new WeightSpec(bits, groupSize);
    }

    /** JSON/YAML form: {@code {bits: 4, group: 128}} or {@code {bits: 8, group: channel}} (the default). */
    @JsonCreator
    static WeightSpec fromJson(@JsonProperty("bits") Integer bits, @JsonProperty("group") JsonNode group) {
        if (bits == null) {
            throw new RecipeException("weights: 'bits' is required (one of " + SUPPORTED_BITS + ")");
        }
        int g;
        if (group == null || group.isNull() || (group.isTextual() && group.asText().equalsIgnoreCase("channel"))) {
            g = 0;
        } else if (group.isInt()) {
            g = group.asInt();
        } else if (group.isTextual() && group.asText().matches("\\d+")) {
            g = Integer.parseInt(group.asText());
        } else {
            throw new RecipeException("weights: group must be 'channel' or one of " + SUPPORTED_GROUPS + ", got " + group);
        }
        return new WeightSpec(bits, g);
    }

    @JsonGetter("group")
    Object groupJson() {
        return groupSize == 0 ? "channel" : groupSize;
    }

    @JsonGetter("bits")
    public int bits() {
        return bits;
    }

    @Override
    @JsonIgnore
    public int groupSize() {
        return groupSize;
    }

    @JsonIgnore
    public boolean perChannel() {
        return groupSize == 0;
    }

    /** Largest code: 2^(bits−1) − 1. */
    @JsonIgnore
    public int qmax() {
        return (1 << (bits - 1)) - 1;
    }

    /** Smallest code: −2^(bits−1). */
    @JsonIgnore
    public int qmin() {
        return -(1 << (bits - 1));
    }

    void validate(String where, List<String> problems) {
        if (!SUPPORTED_BITS.contains(bits)) {
            problems.add(where + ": " + bits + "-bit weights are not supported (supported: " + SUPPORTED_BITS + ")");
        }
        if (groupSize != 0 && !SUPPORTED_GROUPS.contains(groupSize)) {
            problems.add(where + ": weight group size " + groupSize + " is not supported (use 'channel' or one of "
                    + SUPPORTED_GROUPS + ")");
        }
    }

    @Override
    public String toString() {
        return "W" + bits + (groupSize == 0 ? "" : "-g" + groupSize);
    }
}
