package dev.qwm.onnx.bundle;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The contents of a bundle's {@code model.json} (docs/bundle-contract.md): the world model's dimensions in DINO-WM's
 * terms, the normalisation the planner needs, and the component files.
 *
 * <p>{@code actionDim} is the macro-action dimension (env action dim x {@code frameskip}); {@code actionMean} and
 * {@code actionStd} are per macro-action dimension and define CEM's normalised action space. {@code proprioMean}
 * and {@code proprioStd} document the normalisation that the proprio encoder graph applies inside itself.
 * {@code components} may be empty while a manifest is being built; {@link ModelBundle#read} requires all of
 * {@link #REQUIRED_COMPONENTS}. {@code provenance} is the stored JSON of a {@link Provenance} record (what made the
 * bundle), kept as stored so that a bundle loads whatever its provenance's version; {@link Provenance#read} types it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BundleManifest(
        String format,
        String name,
        String environment,
        int imageSize,
        String frameStyle,
        int patchSize,
        int numPatches,
        int latentDim,
        int proprioDim,
        int proprioEmbDim,
        int actionDim,
        int actionEmbDim,
        int numHist,
        int frameskip,
        double[] actionMean,
        double[] actionStd,
        double[] proprioMean,
        double[] proprioStd,
        Map<String, BundleComponent> components,
        JsonNode provenance) {

    public static final String FORMAT = "qwm-bundle/1";
    public static final String VISUAL_ENCODER = "visual_encoder";
    public static final String PROPRIO_ENCODER = "proprio_encoder";
    public static final String ACTION_ENCODER = "action_encoder";
    public static final String PREDICTOR = "predictor";
    /** Component names every readable bundle has, in the order they are written. */
    public static final Set<String> REQUIRED_COMPONENTS =
            Collections.unmodifiableSet(new java.util.LinkedHashSet<>(
                    java.util.List.of(VISUAL_ENCODER, PROPRIO_ENCODER, ACTION_ENCODER, PREDICTOR)));
    /**
     * The environment names model.json may carry: part of the bundle format, and the names of the environments
     * library's EnvironmentKind, which this library sits beside and cannot see.
     */
    public static final Set<String> ENVIRONMENTS = Set.of("wall", "pusht");
    /**
     * How the frames the model was trained on are drawn: the names of the environments library's FrameStyle, which
     * every path that plans with the bundle passes to the environments it makes. {@code qwm} for models trained here,
     * {@code dinowm} for models imported from DINO-WM checkpoints; a manifest without the field (written before it
     * existed) reads as {@code qwm}.
     */
    public static final Set<String> FRAME_STYLES = Set.of("qwm", "dinowm");
    public static final String DEFAULT_FRAME_STYLE = "qwm";

    public BundleManifest {
        if (!FORMAT.equals(format)) {
            throw new BundleException("format must be \"" + FORMAT + "\", got " + quoted(format));
        }
        if (name == null || name.isBlank()) {
            throw new BundleException("name is missing");
        }
        if (!ENVIRONMENTS.contains(environment)) {
            throw new BundleException("environment must be one of " + ENVIRONMENTS + ", got " + quoted(environment));
        }
        positive("imageSize", imageSize);
        frameStyle = frameStyle == null ? DEFAULT_FRAME_STYLE : frameStyle;
        if (!FRAME_STYLES.contains(frameStyle)) {
            throw new BundleException("frameStyle must be one of " + new java.util.TreeSet<>(FRAME_STYLES) + ", got "
                    + quoted(frameStyle));
        }
        positive("patchSize", patchSize);
        positive("numPatches", numPatches);
        positive("latentDim", latentDim);
        positive("proprioDim", proprioDim);
        positive("proprioEmbDim", proprioEmbDim);
        positive("actionDim", actionDim);
        positive("actionEmbDim", actionEmbDim);
        positive("numHist", numHist);
        positive("frameskip", frameskip);
        if (actionDim % frameskip != 0) {
            throw new BundleException("actionDim (" + actionDim + ") must be a multiple of frameskip (" + frameskip
                    + "): a macro action is frameskip env actions");
        }
        normalisation("actionMean", actionMean, "actionStd", actionStd, actionDim, "actionDim");
        normalisation("proprioMean", proprioMean, "proprioStd", proprioStd, proprioDim, "proprioDim");
        actionMean = actionMean.clone();
        actionStd = actionStd.clone();
        proprioMean = proprioMean.clone();
        proprioStd = proprioStd.clone();
        components = components == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(components));
        for (Map.Entry<String, BundleComponent> e : components.entrySet()) {
            Objects.requireNonNull(e.getValue(), () -> "component '" + e.getKey() + "' has no entry");
        }
    }

    /** Token width E of the predictor: visual latent, proprio embedding and action embedding on every patch. */
    @JsonIgnore
    public int tokenDim() {
        return latentDim + proprioEmbDim + actionEmbDim;
    }

    /** Dimension of one env-step action (macro dimension / frameskip). */
    @JsonIgnore
    public int envActionDim() {
        return actionDim / frameskip;
    }

    // Arrays are copied on the way out too, so a manifest is immutable.
    @Override
    public double[] actionMean() {
        return actionMean.clone();
    }

    @Override
    public double[] actionStd() {
        return actionStd.clone();
    }

    @Override
    public double[] proprioMean() {
        return proprioMean.clone();
    }

    @Override
    public double[] proprioStd() {
        return proprioStd.clone();
    }

    public BundleManifest withComponents(Map<String, BundleComponent> newComponents) {
        return new BundleManifest(format, name, environment, imageSize, frameStyle, patchSize, numPatches, latentDim, proprioDim,
                proprioEmbDim, actionDim, actionEmbDim, numHist, frameskip, actionMean, actionStd, proprioMean,
                proprioStd, newComponents, provenance);
    }

    public BundleManifest withName(String newName) {
        return new BundleManifest(format, newName, environment, imageSize, frameStyle, patchSize, numPatches, latentDim,
                proprioDim, proprioEmbDim, actionDim, actionEmbDim, numHist, frameskip, actionMean, actionStd,
                proprioMean, proprioStd, components, provenance);
    }

    public BundleManifest withProvenance(Provenance newProvenance) {
        return new BundleManifest(format, name, environment, imageSize, frameStyle, patchSize, numPatches, latentDim, proprioDim,
                proprioEmbDim, actionDim, actionEmbDim, numHist, frameskip, actionMean, actionStd, proprioMean,
                proprioStd, components, newProvenance.toJson());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BundleManifest m
                && format.equals(m.format) && name.equals(m.name) && environment.equals(m.environment)
                && imageSize == m.imageSize && frameStyle.equals(m.frameStyle) && patchSize == m.patchSize && numPatches == m.numPatches
                && latentDim == m.latentDim && proprioDim == m.proprioDim && proprioEmbDim == m.proprioEmbDim
                && actionDim == m.actionDim && actionEmbDim == m.actionEmbDim && numHist == m.numHist
                && frameskip == m.frameskip
                && Arrays.equals(actionMean, m.actionMean) && Arrays.equals(actionStd, m.actionStd)
                && Arrays.equals(proprioMean, m.proprioMean) && Arrays.equals(proprioStd, m.proprioStd)
                && components.equals(m.components) && Objects.equals(provenance, m.provenance);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, environment, latentDim, numPatches, components, Arrays.hashCode(actionMean));
    }

    @Override
    public String toString() {
        return "BundleManifest[" + name + ", " + environment + ", " + frameStyle + " frames, " + numPatches + "x" + latentDim + ", numHist "
                + numHist + ", components " + components.keySet() + "]";
    }

    public static Builder builder() {
        return new Builder();
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new BundleException(field + " must be a positive integer, got " + value);
        }
    }

    private static void normalisation(String meanField, double[] mean, String stdField, double[] std, int dim,
                                      String dimField) {
        if (mean == null) {
            throw new BundleException(meanField + " is missing");
        }
        if (std == null) {
            throw new BundleException(stdField + " is missing");
        }
        if (mean.length != dim || std.length != dim) {
            throw new BundleException(meanField + " and " + stdField + " must have " + dimField + " = " + dim
                    + " entries, got " + mean.length + " and " + std.length);
        }
        for (int i = 0; i < dim; i++) {
            if (!Double.isFinite(mean[i])) {
                throw new BundleException(meanField + "[" + i + "] is not finite: " + mean[i]);
            }
            if (!(std[i] > 0) || !Double.isFinite(std[i])) {
                throw new BundleException(stdField + "[" + i + "] must be finite and > 0, got " + std[i]);
            }
        }
    }

    private static String quoted(String s) {
        return s == null ? "nothing" : "\"" + s + "\"";
    }

    /** Fluent construction for writers (training, import); {@code format} is set to {@link #FORMAT}. */
    public static final class Builder {
        private String name;
        private String environment;
        private int imageSize;
        private String frameStyle = DEFAULT_FRAME_STYLE;
        private int patchSize;
        private int numPatches;
        private int latentDim;
        private int proprioDim;
        private int proprioEmbDim = 10;
        private int actionDim;
        private int actionEmbDim = 10;
        private int numHist;
        private int frameskip = 5;
        private double[] actionMean;
        private double[] actionStd;
        private double[] proprioMean;
        private double[] proprioStd;
        private JsonNode provenance;

        private Builder() {
        }

        public Builder name(String v) { this.name = v; return this; }
        public Builder environment(String v) { this.environment = v; return this; }
        public Builder imageSize(int v) { this.imageSize = v; return this; }
        public Builder frameStyle(String v) { this.frameStyle = v; return this; }
        public Builder patchSize(int v) { this.patchSize = v; return this; }
        public Builder numPatches(int v) { this.numPatches = v; return this; }
        public Builder latentDim(int v) { this.latentDim = v; return this; }
        public Builder proprioDim(int v) { this.proprioDim = v; return this; }
        public Builder proprioEmbDim(int v) { this.proprioEmbDim = v; return this; }
        public Builder actionDim(int v) { this.actionDim = v; return this; }
        public Builder actionEmbDim(int v) { this.actionEmbDim = v; return this; }
        public Builder numHist(int v) { this.numHist = v; return this; }
        public Builder frameskip(int v) { this.frameskip = v; return this; }
        public Builder actionNormalisation(double[] mean, double[] std) { this.actionMean = mean; this.actionStd = std; return this; }
        public Builder proprioNormalisation(double[] mean, double[] std) { this.proprioMean = mean; this.proprioStd = std; return this; }
        public Builder provenance(Provenance v) { this.provenance = v.toJson(); return this; }

        public BundleManifest build() {
            return new BundleManifest(FORMAT, name, environment, imageSize, frameStyle, patchSize, numPatches, latentDim,
                    proprioDim, proprioEmbDim, actionDim, actionEmbDim, numHist, frameskip, actionMean, actionStd,
                    proprioMean, proprioStd, Map.of(), provenance);
        }
    }
}
