package dev.qwm.cli.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.progress.ProgressLine;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Runs a study through the services: quantizes each recipe that has no bundle yet (quantizer service), submits the
 * grid of configurations (planner service), and follows the episodes as the collector stores them.
 */
public final class StudyRunner {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServiceClient quantizer;
    private final ServiceClient planner;
    /** How long the collector may take to record a study the planner accepted. */
    static final Duration STUDY_RECORDED_WITHIN = Duration.ofSeconds(60);

    private final ServiceClient collector;
    private final PrintStream out;

    public StudyRunner(ServiceClient quantizer, ServiceClient planner, ServiceClient collector, PrintStream out) {
        this.quantizer = quantizer;
        this.planner = planner;
        this.collector = collector;
        this.out = out;
    }

    /** Quantizes what is missing and submits the study; returns its id. */
    public String submit(StudySpec spec) {
        Map<String, String> bundles = new LinkedHashMap<>();
        for (StudySpec.RecipeEntry r : spec.recipes()) {
            bundles.put(r.name(), r.isFullPrecision() ? spec.bundle() : quantize(spec, r));
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("name", spec.name());
        body.put("environment", spec.environment());
        body.put("episodes", spec.episodes());
        body.put("seed_base", spec.seeds().base());
        body.put("seed_offset", spec.seeds().offset());
        body.put("split", spec.seeds().split());
        body.put("planner_seed", spec.plannerSeed());
        body.put("evaluate_cem_steps", spec.evaluateCemSteps());
        ObjectNode recorded = body.putObject("spec");
        recorded.set("study", spec.toJson());
        ArrayNode grid = recorded.putArray("grid");
        ArrayNode configurations = body.putArray("configurations");
        boolean manyBudgets = spec.budgets().size() > 1;
        for (StudySpec.RecipeEntry r : spec.recipes()) {
            for (StudySpec.Budget budget : spec.budgets()) {
                PlannerBudget b = budget.resolve(spec.environment());
                String label = r.name() + (manyBudgets ? "@" + StudySpec.label(b) : "");
                ObjectNode c = configurations.addObject();
                c.put("label", label);
                // Independent swapping: each side comes from the quantized bundle only if the recipe quantizes it.
                c.putObject("encoder").put("bundle", r.quantizesEncoder() ? bundles.get(r.name()) : spec.bundle());
                c.putObject("predictor").put("bundle", r.quantizesPredictor() ? bundles.get(r.name()) : spec.bundle());
                ObjectNode jb = c.putObject("budget");
                jb.put("horizon", b.horizon()).put("samples", b.samples()).put("top_k", b.topK())
                        .put("var_scale", b.varScale()).put("opt_steps", b.optSteps()).put("max_iter", b.maxIter())
                        .put("objective_alpha", b.objectiveAlpha()).put("executed_actions", b.executedActions());
                grid.addObject().put("label", label).put("recipe", r.name()).put("modules", r.modulesLabel())
                        .put("preset", r.preset() == null ? (r.recipe() == null ? "fp32" : Path.of(r.recipe()).getFileName().toString()) : r.preset())
                        .put("method", r.method() == null ? (r.isFullPrecision() ? "-" : "rtn") : r.method())
                        .put("budget", StudySpec.label(b));
            }
        }
        JsonNode created = planner.post("/api/v1/studies", body);
        String id = created.get("study_id").asText();
        out.printf(Locale.ROOT, "study %s: %d configurations x %d episodes = %d episodes dispatched%n", id,
                configurations.size(), spec.episodes(), created.get("episodes").asInt());
        return id;
    }

    private String quantize(StudySpec spec, StudySpec.RecipeEntry r) {
        ObjectNode req = JSON.createObjectNode();
        req.put("bundle", spec.bundle());
        if (r.preset() != null) {
            req.put("preset", r.preset());
            req.put("modules", r.modules() == null ? "both" : r.modules());
            if (r.method() != null) {
                req.put("method", r.method());
            }
        } else {
            try {
                req.put("recipe_yaml", Files.readString(Path.of(r.recipe())));
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("recipe " + r.name() + ": cannot read " + r.recipe() + ": " + e.getMessage());
            }
        }
        if (r.calibrationEpisodes() != null) {
            req.put("episodes", r.calibrationEpisodes());
        }
        if (r.quantIter() != null) {
            req.put("quant_iter", r.quantIter());
        }
        String job = quantizer.post("/api/v1/quantizations", req).get("job_id").asText();
        long t0 = System.nanoTime();
        String lastMessage = "";
        while (true) {
            JsonNode s = quantizer.get("/api/v1/quantizations/" + job);
            String state = s.path("state").asText();
            if (state.contains("SUCCEEDED")) {
                out.printf(Locale.ROOT, "quantized %-24s -> %s (%.0f s)%n", r.name(), s.path("bundle").asText(),
                        (System.nanoTime() - t0) / 1e9);
                return s.path("bundle").asText();
            }
            if (state.contains("FAILED")) {
                throw new IllegalStateException("quantizing " + r.name() + " failed: " + s.path("message").asText());
            }
            String message = String.format(Locale.ROOT, "quantizing %s: %3.0f%% %s", r.name(),
                    100 * s.path("progress").asDouble(), s.path("message").asText());
            if (!message.equals(lastMessage)) {
                out.println(message);
                lastMessage = message;
            }
            sleep(1000);
        }
    }

    /**
     * Follows a study until every episode is stored or failed (dead-lettered by the planner, never to be planned),
     * with a progress bar and per-configuration counts. Returns how many failed.
     */
    public int watch(String studyId, Duration timeout) {
        JsonNode study = awaitStudy(studyId, STUDY_RECORDED_WITHIN);
        int total = study.path("summary").path("episodeCount").asInt();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (ProgressLine bar = ProgressLine.on(out).task("episodes").total(total).unit("ep").width(140).start()) {
            while (true) {
                JsonNode episodes = collector.get("/api/v1/studies/" + studyId + "/episodes").path("episodes");
                int failed = collector.get("/api/v1/studies/" + studyId).path("summary").path("failedCount").asInt();
                Map<String, int[]> byConfig = new LinkedHashMap<>();
                for (JsonNode e : episodes) {
                    int[] c = byConfig.computeIfAbsent(e.path("configuration").asText(), k -> new int[2]);
                    c[0]++;
                    c[1] += e.path("success").asBoolean() ? 1 : 0;
                }
                StringBuilder extra = new StringBuilder();
                byConfig.forEach((k, v) -> extra.append(extra.length() == 0 ? "" : " | ").append(k).append(' ')
                        .append(v[1]).append('/').append(v[0]));
                if (failed > 0) {
                    extra.append(extra.length() == 0 ? "" : " | ").append("failed ").append(failed);
                }
                bar.message(extra.toString());
                bar.stepTo(episodes.size() + failed);
                if (episodes.size() + failed >= total) {
                    return failed;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("study " + studyId + " not complete after " + timeout.toMinutes()
                            + " min (" + episodes.size() + "/" + total + "); ./qwm study status " + studyId + " reattaches");
                }
                sleep(2000);
            }
        }
    }

    /**
     * The collector's view of a study. It records a study when it consumes the study-submitted event, which can come
     * a few seconds after the planner accepted it (a fresh consumer group first joins), so a 404 right after
     * submission means "not yet": ask again until {@code within} has passed.
     */
    JsonNode awaitStudy(String studyId, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            Optional<JsonNode> study = collector.find("/api/v1/studies/" + studyId);
            if (study.isPresent()) {
                return study.get();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the collector has not recorded study " + studyId + " within "
                        + within.toSeconds() + " s of its submission; is it consuming the study-submitted topic? "
                        + "(./qwm services status)");
            }
            sleep(500);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
