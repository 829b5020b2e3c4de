package dev.qwm.planner.study;

import dev.qwm.env.EnvironmentKind;
import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.DataSplit;
import dev.qwm.api.common.v1.EnvironmentId;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.api.common.v1.PlannerBudget;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.BundleRoots;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planning.onnx.OnnxWorldModel;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Checks a study completely (environment, artifacts, compatibility of each encoder with its predictor, budgets)
 * before anything is published; the first problem found is an {@link InvalidStudyException} naming it.
 */
public final class StudyValidation {

    /** Study bundles are confined like every bundle path a service is given (qwm.bundle-roots). */
    private static final BundleRoots ROOTS = BundleRoots.configured();

    private StudyValidation() {
    }

    public static ValidStudy validate(StudyRequest s) {
        require(s != null, "empty study");
        require(s.name() != null && !s.name().isBlank(), "the study needs a name");
        EnvironmentKind kind = EnvironmentKind.find(s.environment()).orElseThrow(() -> new InvalidStudyException(
                "environment must be wall or pusht, got '" + s.environment() + "'"));
        EnvironmentId env = switch (kind) {
            case WALL -> EnvironmentId.ENVIRONMENT_ID_WALL;
            case PUSHT -> EnvironmentId.ENVIRONMENT_ID_PUSHT;
        };
        require(s.episodes() >= 1 && s.episodes() <= 10_000, "episodes per configuration must be 1..10000, got " + s.episodes());
        require(s.configurations() != null && !s.configurations().isEmpty(), "the study has no configurations");
        long base = s.seedBase() == null ? 99 : s.seedBase();
        long offset = s.seedOffset() == null ? 1 : s.seedOffset();
        // refused here rather than dead-lettered episode by episode: episode n plans seed base*n + offset (32-bit)
        require(base >= 0 && offset >= 0, "seed_base and seed_offset must not be negative, got " + base + " and " + offset);
        require(base <= 0xFFFF_FFFFL && base * (s.episodes() - 1) + offset <= 0xFFFF_FFFFL, "the last episode's seed "
                + base + "*" + (s.episodes() - 1) + "+" + offset + " is above 2^32 - 1");
        DataSplit split = switch (s.split() == null ? "validation" : s.split()) {
            case "validation" -> DataSplit.DATA_SPLIT_VALIDATION;
            case "train" -> DataSplit.DATA_SPLIT_TRAIN;
            default -> throw new InvalidStudyException("split must be validation or train, got '" + s.split() + "'");
        };
        List<ValidStudy.Configuration> configurations = new ArrayList<>();
        Set<String> labels = new HashSet<>();
        for (int c = 0; c < s.configurations().size(); c++) {
            StudyRequest.Configuration conf = s.configurations().get(c);
            require(conf != null, "configuration " + (c + 1) + " is empty");
            String where = "configuration " + (c + 1) + (conf.label() == null ? "" : " (" + conf.label() + ")");
            require(conf.label() != null && !conf.label().isBlank(), where + " has no label");
            require(labels.add(conf.label()), "two configurations are labelled '" + conf.label() + "'");
            ArtifactRef encoder = artifact(conf.encoder(), ModelComponent.MODEL_COMPONENT_ENCODER, where, s.environment());
            ArtifactRef predictor = artifact(conf.predictor(), ModelComponent.MODEL_COMPONENT_PREDICTOR, where, s.environment());
            try {
                OnnxWorldModel.requireCompatible(manifest(encoder.getBundle()), manifest(predictor.getBundle()));
            } catch (IllegalArgumentException e) {
                throw new InvalidStudyException(where + ": " + e.getMessage());
            }
            require(conf.budget() != null, where + " has no budget");
            long studySeed = s.plannerSeed() == null ? 0 : s.plannerSeed();
            configurations.add(new ValidStudy.Configuration(conf.label(), encoder, predictor, budget(conf.budget(), where),
                    conf.plannerSeed() == null ? studySeed : conf.plannerSeed()));
        }
        int total = s.configurations().size() * s.episodes();
        if (s.skipEpisodes() != null) {
            for (Integer i : s.skipEpisodes()) {
                require(i != null && i >= 0 && i < total, "skip_episodes: " + i + " is not an episode of the study (0.."
                        + (total - 1) + ")");
            }
        }
        return new ValidStudy(studyId(s), s.name(), env, s.episodes(), s.seedBase() == null ? 99 : s.seedBase(),
                s.seedOffset() == null ? 1 : s.seedOffset(), split, s.plannerSeed() == null ? 0 : s.plannerSeed(),
                s.evaluateCemSteps() == null || s.evaluateCemSteps(), List.copyOf(configurations));
    }

    /** The given id, or one made of the name, the time and a random suffix. */
    private static String studyId(StudyRequest s) {
        return s.studyId() != null && !s.studyId().isBlank() ? s.studyId()
                : s.name().replaceAll("[^A-Za-z0-9._-]", "-") + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(4);
    }

    /** The budget, checked by the planning library's own rules. */
    private static PlannerBudget budget(StudyRequest.Budget b, String where) {
        try {
            new dev.qwm.planning.PlannerBudget(b.horizon(), b.samples(), b.topK(), b.varScale(), b.optSteps(),
                    b.maxIter(), b.objectiveAlpha(), b.executedActions());
        } catch (IllegalArgumentException e) {
            throw new InvalidStudyException(where + ": budget: " + e.getMessage());
        }
        return PlannerBudget.newBuilder().setHorizon(b.horizon()).setSamples(b.samples())
                .setTopK(b.topK()).setVarScale((float) b.varScale()).setOptSteps(b.optSteps())
                .setMaxIter(b.maxIter()).setObjectiveAlpha((float) b.objectiveAlpha())
                .setExecutedActions(b.executedActions()).build();
    }

    private static ArtifactRef artifact(StudyRequest.Artifact a, ModelComponent component, String where, String env) {
        String role = component == ModelComponent.MODEL_COMPONENT_ENCODER ? "encoder" : "predictor";
        require(a != null && a.bundle() != null && !a.bundle().isBlank(), where + " names no " + role + " bundle");
        BundleManifest m;
        try {
            m = manifest(a.bundle());
        } catch (RuntimeException e) {
            throw new InvalidStudyException(where + ": " + role + ": " + e.getMessage());
        }
        require(m.environment().equals(env), where + ": " + role + " bundle " + m.name() + " is for "
                + m.environment() + ", the study is " + env);
        String sha = m.components().get(role.equals("encoder") ? BundleManifest.VISUAL_ENCODER : BundleManifest.PREDICTOR)
                .sha256();
        require(a.sha256() == null || a.sha256().isBlank() || a.sha256().equals(sha), where + ": " + role
                + " bundle " + a.bundle() + " holds " + sha + ", not the requested " + a.sha256());
        return ArtifactRef.newBuilder().setBundle(Path.of(a.bundle()).toAbsolutePath().normalize().toString())
                .setSha256(sha).setComponent(component)
                .setLabel(a.label() == null || a.label().isBlank() ? m.name() : a.label()).build();
    }

    private static BundleManifest manifest(String bundle) {
        return ModelBundle.parseManifest(ROOTS.resolve(bundle, "bundle").resolve(ModelBundle.MANIFEST_FILE));
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new InvalidStudyException(message);
        }
    }
}
