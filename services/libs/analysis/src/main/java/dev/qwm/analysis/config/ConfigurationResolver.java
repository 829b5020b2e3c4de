package dev.qwm.analysis.config;

import dev.qwm.analysis.data.ArtifactRecord;
import dev.qwm.analysis.data.ArtifactRef;
import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.quant.recipe.RecipeException;
import dev.qwm.quant.recipe.WorldModelModule;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Describes the configuration of an episode: from its encoder and predictor artifacts (an original artifact is full
 * precision, a quantized one carries its recipe), and where an artifact is unknown to the collector or its recipe
 * unreadable, from the configuration label (then from the artifacts' labels). Collects a note for each fallback.
 */
public final class ConfigurationResolver {

    private final Map<String, ArtifactRecord> bySha = new HashMap<>();
    private final List<String> notes = new ArrayList<>();

    public ConfigurationResolver(List<ArtifactRecord> artifacts) {
        for (ArtifactRecord a : artifacts) {
            bySha.put(a.artifact().sha256(), a);
        }
    }

    /** The description; empty when neither the artifacts nor any label tell what the configuration is. */
    public Optional<ConfigurationDescriptor> describe(EpisodeRecord episode) {
        String label = episode.configuration().isBlank()
                ? episode.encoder().label() + "+" + episode.predictor().label() : episode.configuration();
        Optional<ModuleQuantization> enc = fromArtifact(episode.encoder(), WorldModelModule.ENCODER, label);
        Optional<ModuleQuantization> pred = fromArtifact(episode.predictor(), WorldModelModule.PREDICTOR, label);
        if (enc.isPresent() && pred.isPresent()) {
            return Optional.of(new ConfigurationDescriptor(label, enc.get(), pred.get(),
                    ConfigurationDescriptor.Origin.RECIPE));
        }
        Optional<ConfigurationDescriptor> fromLabel = ConfigurationDescriptor.fromLabel(episode.configuration());
        if (fromLabel.isEmpty()) {
            fromLabel = combineArtifactLabels(episode);
        }
        if (fromLabel.isEmpty()) {
            notes.add("configuration '" + label + "': its artifacts carry no recipe the collector knows and its label "
                    + "names no format (e.g. 'predictor/w4a16-g128/rtn' or 'fp32'); listed only in the overview");
        }
        return fromLabel.map(d -> new ConfigurationDescriptor(label, d.encoder(), d.predictor(), d.origin()));
    }

    /** Notes about fallbacks and unreadable recipes, each once. */
    public List<String> notes() {
        return notes.stream().distinct().toList();
    }

    private Optional<ModuleQuantization> fromArtifact(ArtifactRef ref, WorldModelModule module, String label) {
        if (ref == null || ref.sha256().isEmpty()) {
            return Optional.empty();
        }
        ArtifactRecord a = bySha.get(ref.sha256());
        if (a == null) {
            return Optional.empty();
        }
        if (a.isOriginal()) {
            return Optional.of(ModuleQuantization.FULL_PRECISION);
        }
        if (a.recipeJson() == null || a.recipeJson().isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(ConfigurationDescriptor.moduleFromRecipeJson(a.recipeJson(), module));
        } catch (RecipeException e) {
            notes.add("configuration '" + label + "': the recipe of artifact " + shortSha(a) + " cannot be read ("
                    + String.join("; ", e.problems()) + "); described from its label instead");
            return Optional.empty();
        }
    }

    /** Encoder and predictor labels read separately (e.g. "wall-fp32" and "wall-w4a16-g128/rtn"). */
    private static Optional<ConfigurationDescriptor> combineArtifactLabels(EpisodeRecord e) {
        Optional<ConfigurationDescriptor> enc = ConfigurationDescriptor.fromLabel(e.encoder().label());
        Optional<ConfigurationDescriptor> pred = ConfigurationDescriptor.fromLabel(e.predictor().label());
        if (enc.isEmpty() || pred.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ConfigurationDescriptor(e.configuration(), enc.get().quantization(),
                pred.get().quantization(), ConfigurationDescriptor.Origin.LABEL));
    }

    private static String shortSha(ArtifactRecord a) {
        String sha = a.artifact().sha256();
        return (sha.length() > 12 ? sha.substring(0, 12) : sha) + " (" + a.artifact().label() + ")";
    }
}
