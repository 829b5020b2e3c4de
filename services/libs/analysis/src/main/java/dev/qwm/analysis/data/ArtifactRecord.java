package dev.qwm.analysis.data;

/**
 * One artifact of the collector's {@code artifacts} table: what it is, what it was made from (null for a
 * full-precision original), its size, and the quantizer's recipe and manifest as JSON (empty for an original).
 */
public record ArtifactRecord(ArtifactRef artifact, ArtifactRef source, long sizeBytes, String recipeJson,
                             String manifestJson) {

    public ArtifactRecord(ArtifactRef artifact, ArtifactRef source, long sizeBytes, String recipeJson) {
        this(artifact, source, sizeBytes, recipeJson, "");
    }

    public ArtifactRecord {
        if (artifact == null) {
            throw new IllegalArgumentException("an artifact record needs its artifact reference");
        }
        recipeJson = recipeJson == null ? "" : recipeJson; // the collector's JSON has "" for none
        manifestJson = manifestJson == null ? "" : manifestJson;
    }

    public boolean isOriginal() {
        return (source == null || source.isEmpty()) && recipeJson.isBlank();
    }
}
