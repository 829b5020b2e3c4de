package dev.qwm.onnx.dinowm;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.Provenance;
import java.util.Map;
import java.util.Optional;

/**
 * The provenance of a bundle {@link DinoWmImport} made from a DINO-WM export.
 *
 * @param source                    the export's folder
 * @param sourceSha256              sha256 of each exported ONNX file, by file name
 * @param stats                     the normalisation statistics file
 * @param statsSource               where those statistics came from, as the file says (null if it does not)
 * @param exportedNames             per component, its exported input and output names
 * @param referenceMaxRelativeError per component, the largest error against the export's reference outputs (null
 *                                  when no reference was given)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ImportProvenance(String kind, String source, Map<String, String> sourceSha256, String stats,
                               String statsSource, Map<String, String> exportedNames,
                               Map<String, Double> referenceMaxRelativeError) implements Provenance {

    public static final String KIND = "dinowm-import";

    public ImportProvenance {
        if (!KIND.equals(kind)) {
            throw new IllegalArgumentException("kind must be \"" + KIND + "\", got " + kind);
        }
    }

    public ImportProvenance(String source, Map<String, String> sourceSha256, String stats, String statsSource,
                            Map<String, String> exportedNames, Map<String, Double> referenceMaxRelativeError) {
        this(KIND, source, sourceSha256, stats, statsSource, exportedNames, referenceMaxRelativeError);
    }

    /** {@code m}'s provenance if an import made it. */
    public static Optional<ImportProvenance> of(BundleManifest m) {
        return Provenance.read(m, KIND, ImportProvenance.class);
    }
}
