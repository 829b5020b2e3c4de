package dev.qwm.cli.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.progress.ProgressLine;
import dev.qwm.quant.recipe.RecipeIo;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
    /** How often a running study's stored episodes are added to its episode log. */
    public static final Duration EXPORT_EVERY = Duration.ofMinutes(5);
    private static final int IMPORT_BATCH = 100;
    static final Duration IMPORT_TIMEOUT = Duration.ofMinutes(10);
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

    /** A study run from a spec is named by the spec: its name, as a study id. */
    public static String studyId(StudySpec spec) {
        return spec.name().replaceAll("[^A-Za-z0-9._-]", "-");
    }

    /**
     * What makes a study this study, as 16 hex digits of SHA-256: the environment, episodes, seeds, every cell (its
     * label, recipe as the quantizer gets it, budget and planner seed) and the full-precision model's components. Not
     * the paths (another machine has other ones), not the comments of the spec.
     */
    public static String fingerprint(StudySpec spec) {
        ObjectNode f = JSON.createObjectNode();
        f.put("environment", spec.environment()).put("episodes", spec.episodes())
                .put("seed_base", spec.seeds().base()).put("seed_offset", spec.seeds().offset())
                .put("split", spec.seeds().split()).put("evaluate_cem_steps", spec.evaluateCemSteps());
        Path manifest = Path.of(spec.bundle()).resolve(ModelBundle.MANIFEST_FILE);
        if (Files.isRegularFile(manifest)) {
            ObjectNode components = f.putObject("model");
            new java.util.TreeMap<>(ModelBundle.parseManifest(manifest).components())
                    .forEach((k, v) -> components.put(k, v.sha256()));
        } else {
            f.put("model", spec.bundle());
        }
        ArrayNode cells = f.putArray("cells");
        for (StudySpec.Cell cell : spec.cells()) {
            StudySpec.RecipeEntry r = cell.recipe();
            ObjectNode c = cells.addObject().put("label", cell.label()).put("planner_seed", cell.plannerSeed());
            c.put("recipe", r.isFullPrecision() ? "fp" : RecipeIo.toJson(r.preset() != null ? r.presetRecipe()
                    : RecipeIo.read(Path.of(r.recipe()))));
            c.put("calibration_episodes", r.calibrationEpisodes()).put("quant_iter", r.quantIter());
            c.put("budget", cell.budget().key());
        }
        try {
            return ModelBundle.sha256(JSON.writeValueAsBytes(f)).substring(0, 16);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Quantizes what is missing and submits the study under a fresh id; returns its id. */
    public String submit(StudySpec spec) {
        return submit(spec, null, null);
    }

    /**
     * Quantizes what is missing (the quantizer reuses what its store holds) and submits the study; returns its id.
     *
     * @param studyId the study's id: the same spec under the same id again is that study (nothing published twice);
     *                null for a fresh id
     * @param log     the study's episode log, or null: its episodes are imported into the collector first (a fresh
     *                stack knows nothing of them) and are not requested again
     */
    public String submit(StudySpec spec, String studyId, StudyLog log) {
        if (log != null && artifactStore != null) {
            log.seedStore(artifactStore, out);
        }
        Map<String, String> bundles = new LinkedHashMap<>();
        for (StudySpec.RecipeEntry r : spec.recipes()) {
            bundles.put(r.name(), r.isFullPrecision() ? spec.bundle() : quantize(spec, r));
            if (log != null && artifactStore != null && !r.isFullPrecision()
                    && StudyCost.calibrationSeconds(spec.environment(), r, StudyCost.Rates.MEASURED) > 0) {
                log.keepArtifact(Path.of(bundles.get(r.name())));
            }
        }
        ObjectNode body = studyRequest(studyId, spec.name(), spec.environment(), spec.episodes(), spec.seeds().base(),
                spec.seeds().offset(), spec.seeds().split(), spec.plannerSeed(), spec.evaluateCemSteps());
        ObjectNode recorded = body.putObject("spec");
        recorded.set("study", spec.toJson());
        ArrayNode grid = recorded.putArray("grid");
        ArrayNode configurations = body.putArray("configurations");
        for (StudySpec.Cell cell : spec.cells()) {
            StudySpec.RecipeEntry r = cell.recipe();
            PlannerBudget b = cell.budget();
            ObjectNode c = configurations.addObject();
            c.put("label", cell.label());
            // Independent swapping: each side comes from the quantized bundle only if the recipe quantizes it.
            c.putObject("encoder").put("bundle", r.quantizesEncoder() ? bundles.get(r.name()) : spec.bundle());
            c.putObject("predictor").put("bundle", r.quantizesPredictor() ? bundles.get(r.name()) : spec.bundle());
            putBudget(c, b);
            if (cell.plannerSeed() != spec.plannerSeed()) {
                c.put("planner_seed", cell.plannerSeed());
            }
            grid.addObject().put("label", cell.label()).put("recipe", r.name()).put("modules", r.modulesLabel())
                    .put("preset", r.preset() == null ? (r.recipe() == null ? "fp32" : Path.of(r.recipe()).getFileName().toString()) : r.preset())
                    .put("method", r.method() == null ? (r.isFullPrecision() ? "-" : "rtn") : r.method())
                    .put("activations", r.activations() == null ? "-" : r.activations())
                    .put("budget", StudySpec.label(b)).put("max_iter", b.maxIter()).put("opt_steps", b.optSteps())
                    .put("samples", b.samples()).put("planner_seed", cell.plannerSeed());
        }
        if (log != null && !log.indices().isEmpty()) {
            checkArtifacts(log, configurations);
            importLog(studyId, log);
            ArrayNode skip = body.putArray("skip_episodes");
            log.indices().forEach(skip::add);
        }
        TraceParent trace = TraceParent.start();
        JsonNode created = planner.post("/api/v1/studies", body, java.util.Map.of("traceparent", trace.header()));
        // with tracing on in the services, every span of the study's episodes is in this trace
        out.printf(Locale.ROOT, "trace %s%n", trace.traceId());
        String id = created.get("study_id").asText();
        int total = created.get("episodes").asInt();
        if (created.path("existing").asBoolean()) {
            out.printf(Locale.ROOT, "study %s exists on this stack: %d configurations x %d episodes = %d episodes;"
                    + " following it%n", id, configurations.size(), spec.episodes(), total);
        } else {
            int logged = log == null ? 0 : log.indices().size();
            out.printf(Locale.ROOT, "study %s: %d configurations x %d episodes = %d episodes, %d dispatched%s%n", id,
                    configurations.size(), spec.episodes(), total, total - logged,
                    logged == 0 ? "" : " (" + logged + " from the episode log)");
        }
        return id;
    }

    /**
     * The head of a study request as the planner's {@code POST /api/v1/studies} reads it, for a study of a spec and
     * for a verification's batch study alike; {@code studyId} null for a fresh id.
     */
    static ObjectNode studyRequest(String studyId, String name, String environment, int episodes, long seedBase,
                                   long seedOffset, String split, long plannerSeed, boolean evaluateCemSteps) {
        ObjectNode body = JSON.createObjectNode();
        if (studyId != null) {
            body.put("study_id", studyId);
        }
        body.put("name", name);
        body.put("environment", environment);
        body.put("episodes", episodes);
        body.put("seed_base", seedBase);
        body.put("seed_offset", seedOffset);
        body.put("split", split);
        body.put("planner_seed", plannerSeed);
        body.put("evaluate_cem_steps", evaluateCemSteps);
        return body;
    }

    /** A configuration's CEM/MPC budget as the planner reads it. */
    static void putBudget(ObjectNode configuration, PlannerBudget b) {
        configuration.putObject("budget").put("horizon", b.horizon()).put("samples", b.samples()).put("top_k", b.topK())
                .put("var_scale", b.varScale()).put("opt_steps", b.optSteps()).put("max_iter", b.maxIter())
                .put("objective_alpha", b.objectiveAlpha()).put("executed_actions", b.executedActions());
    }

    /** The local quantizer's artifact store, or null (a remote stack's store is not reachable from here). */
    private Path artifactStore;

    /**
     * With the local stack's artifact store, a study's calibrated artifacts are kept in its episode log and put back
     * into the store on a fresh machine (see {@link StudyLog#keepArtifact}).
     */
    public StudyRunner artifactStore(Path store) {
        this.artifactStore = store;
        return this;
    }

    /** Whether a log's episodes may have been planned with other artifacts than the ones quantized now. */
    private boolean allowChangedArtifacts;

    public StudyRunner allowChangedArtifacts(boolean allow) {
        this.allowChangedArtifacts = allow;
        return this;
    }

    /**
     * The artifacts quantized now (re-created on a fresh machine) must be the ones the log's episodes were planned
     * with, or a cell would mix two models: each configuration's encoder and predictor sha256 against its logged
     * episodes'. Only for bundles on this machine (a remote stack's are checked by nobody here).
     */
    void checkArtifacts(StudyLog log, ArrayNode configurations) {
        Map<String, String[]> now = new LinkedHashMap<>();
        for (JsonNode c : configurations) {
            String[] shas = new String[2];
            for (int side = 0; side < 2; side++) {
                Path manifest = Path.of(c.path(side == 0 ? "encoder" : "predictor").path("bundle").asText())
                        .resolve(ModelBundle.MANIFEST_FILE);
                if (!Files.isRegularFile(manifest)) {
                    return;
                }
                shas[side] = ModelBundle.parseManifest(manifest).components().get(side == 0
                        ? dev.qwm.onnx.bundle.BundleManifest.VISUAL_ENCODER : dev.qwm.onnx.bundle.BundleManifest.PREDICTOR).sha256();
            }
            now.put(c.path("label").asText(), shas);
        }
        List<String> changed = new ArrayList<>();
        for (JsonNode r : log.records()) {
            JsonNode e = r.path("completed");
            String[] shas = now.get(e.path("configuration").asText());
            if (shas == null) {
                continue;
            }
            String enc = e.path("encoder").path("sha256").asText();
            String pred = e.path("predictor").path("sha256").asText();
            if (!enc.equals(shas[0]) || !pred.equals(shas[1])) {
                String what = e.path("configuration").asText() + " (logged encoder " + abbrev(enc) + ", predictor "
                        + abbrev(pred) + "; now " + abbrev(shas[0]) + ", " + abbrev(shas[1]) + ")";
                if (!changed.contains(what)) {
                    changed.add(what);
                }
            }
        }
        if (changed.isEmpty()) {
            return;
        }
        String message = "the artifacts quantized now are not the ones the episode log's episodes were planned with: "
                + String.join("; ", changed);
        if (!allowChangedArtifacts) {
            throw new IllegalStateException(message + ". A recipe, the quantizer or the calibration's numerics changed;"
                    + " run the changed study under another name, or pass --allow-changed-artifacts to mix them");
        }
        out.println("warning: " + message + " (--allow-changed-artifacts: going on)");
    }

    private static String abbrev(String sha) {
        return sha.length() > 12 ? sha.substring(0, 12) : sha;
    }

    /**
     * The log's episodes into the collector, in batches; each is stored once however often this runs. A batch of a
     * hundred episodes with their traces may take a just-started collector on a busy machine over a minute (seen:
     * Wall's 2,250 stopped at 400 on the 60 s default), so a batch may take up to {@link #IMPORT_TIMEOUT}.
     */
    public void importLog(String studyId, StudyLog log) {
        List<JsonNode> records = log.records();
        int stored = 0;
        int duplicates = 0;
        ServiceClient patient = collector.withTimeout(IMPORT_TIMEOUT);
        try (ProgressLine bar = ProgressLine.on(out).task("import " + studyId).total(records.size()).unit("episode")
                .start()) {
            for (int from = 0; from < records.size(); from += IMPORT_BATCH) {
                ObjectNode batch = JSON.createObjectNode();
                ArrayNode episodes = batch.putArray("episodes");
                int to = Math.min(records.size(), from + IMPORT_BATCH);
                records.subList(from, to).forEach(episodes::add);
                JsonNode r = patient.post("/api/v1/studies/" + studyId + "/import", batch);
                stored += r.path("stored").asInt();
                duplicates += r.path("duplicates").asInt();
                bar.stepTo(to);
            }
        }
        out.printf(Locale.ROOT, "episode log %s: %d episodes, %d imported into the collector, %d stored there before%n",
                log.dir(), records.size(), stored, duplicates);
    }

    /**
     * Adds the episodes the collector stored since the last export to the log (one new chunk); returns how many.
     */
    public synchronized int export(String studyId, StudyLog log, JsonNode storedEpisodes) {
        List<JsonNode> fresh = new ArrayList<>();
        for (JsonNode e : storedEpisodes) {
            int index = e.path("episodeId").path("index").asInt(0);
            if (!log.contains(index)) {
                JsonNode trace = collector.get("/api/v1/episodes/" + studyId + "/" + index + "/trace");
                ObjectNode record = JSON.createObjectNode();
                record.set("completed", e);
                record.set("trace", trace);
                fresh.add(record);
            }
        }
        return log.append(fresh);
    }

    /** Adds every episode the collector has stored and the log lacks; returns how many. */
    public int exportStored(String studyId, StudyLog log) {
        return export(studyId, log, collector.get("/api/v1/studies/" + studyId + "/episodes").path("episodes"));
    }

    /**
     * A shutdown hook for a watched study: when the command is stopped (Ctrl-C, {@code kill}) before the study is
     * complete, the episodes stored since the last periodic export go into the log now rather than waiting in the
     * collector for the next run. {@link #export} is synchronized, so the hook and an export in progress on the
     * watching thread cannot write the same episodes twice.
     */
    public Thread exportOnExit(String studyId, StudyLog log, PrintStream err) {
        return new Thread(() -> {
            try {
                int added = exportStored(studyId, log);
                err.printf(Locale.ROOT, "%nqwm: stopped: %d more episodes added to the episode log %s (%d in it)%n",
                        added, log.dir(), log.indices().size());
            } catch (RuntimeException e) {
                err.printf(Locale.ROOT, "%nqwm: stopped: the episodes stored since the last export stay in the"
                        + " collector (%s); the next ./qwm study run adds them to the log%n", e.getMessage());
            }
        }, "export-on-exit");
    }

    private String quantize(StudySpec spec, StudySpec.RecipeEntry r) {
        ObjectNode req = JSON.createObjectNode();
        req.put("bundle", spec.bundle());
        if (r.plainPreset()) {
            req.put("preset", r.preset());
            req.put("modules", r.modules() == null ? "both" : r.modules());
            if (r.method() != null) {
                req.put("method", r.method());
            }
        } else if (r.preset() != null) {
            // a method variant or another activation granularity: the library's recipe, sent whole
            req.put("recipe_yaml", RecipeIo.toYaml(r.presetRecipe()));
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
            if (!state.equals("RUNNING")) { // FAILED, or CANCELLED (./qwm services cancel-job)
                throw new IllegalStateException("quantizing " + r.name() + " " + state.toLowerCase(Locale.ROOT)
                        + ": " + s.path("message").asText());
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
        return watch(studyId, timeout, null, EXPORT_EVERY);
    }

    /**
     * Like {@link #watch(String, Duration)}, and adds the stored episodes to {@code log} (when not null) every
     * {@code exportEvery} and once all are stored.
     */
    public int watch(String studyId, Duration timeout, StudyLog log, Duration exportEvery) {
        JsonNode study = awaitStudy(studyId, STUDY_RECORDED_WITHIN);
        int total = study.path("summary").path("episodeCount").asInt();
        long deadline = System.nanoTime() + timeout.toNanos();
        long lastExport = System.nanoTime();
        try (WatchLine line = new WatchLine(out, total, cellLabels(study), cellEpisodes(study), System::nanoTime)) {
            while (true) {
                JsonNode episodes = collector.get("/api/v1/studies/" + studyId + "/episodes").path("episodes");
                int failed = collector.get("/api/v1/studies/" + studyId).path("summary").path("failedCount").asInt();
                boolean complete = episodes.size() + failed >= total;
                String note = "";
                if (log != null && (complete || System.nanoTime() - lastExport >= exportEvery.toNanos())) {
                    int added = export(studyId, log, episodes);
                    lastExport = System.nanoTime();
                    if (added > 0) {
                        note = "episode log +" + added + " (" + log.indices().size() + ")";
                    }
                }
                line.update(episodes, failed, note);
                if (complete) {
                    return failed;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("study " + studyId + " not complete after " + timeout.toMinutes()
                            + " min (" + episodes.size() + "/" + total + "); ./qwm study status " + studyId + " reattaches");
                }
                // a long study's episode list is megabytes: asked for less often, it costs the planners less CPU
                sleep(total > 500 ? 15_000 : 2000);
            }
        }
    }

    /** The cell labels of a study as the collector recorded its spec, in grid order (empty if it has none). */
    static List<String> cellLabels(JsonNode study) {
        List<String> labels = new ArrayList<>();
        recordedSpec(study).path("grid").forEach(g -> labels.add(g.path("label").asText()));
        return labels;
    }

    /** Episodes per cell of a study as the collector recorded its spec (0 if it does not say). */
    static int cellEpisodes(JsonNode study) {
        return recordedSpec(study).path("study").path("episodes").asInt(0);
    }

    private static JsonNode recordedSpec(JsonNode study) {
        try {
            return JSON.readTree(study.path("specJson").asText("{}"));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return JSON.createObjectNode(); // the line then shows cells as episodes name them
        }
    }

    /** Waits until the collector has recorded the study (see {@link #awaitStudy}). */
    public void awaitRecorded(String studyId) {
        awaitStudy(studyId, STUDY_RECORDED_WITHIN);
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

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
