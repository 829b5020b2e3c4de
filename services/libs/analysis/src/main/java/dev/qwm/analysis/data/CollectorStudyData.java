package dev.qwm.analysis.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A study read from the collector's HTTP JSON API ({@code /api/v1/...}, see services/collector/README.md). Each part is
 * fetched on first use and kept; traces are fetched {@value #PARALLEL_REQUESTS} at a time, one request per episode.
 */
public final class CollectorStudyData implements StudyData {

    /** Default base URL of a local collector. */
    public static final String DEFAULT_URL = "http://127.0.0.1:8085";
    static final int PARALLEL_REQUESTS = 4;

    /** Told how many traces there are to fetch and each time one arrives (for a progress bar). */
    public interface FetchProgress {
        FetchProgress NONE = new FetchProgress() {
        };

        default void started(int traces) {
        }

        default void fetched(int done) {
        }

        default void finished() {
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final String studyId;
    private final HttpClient http;
    private final Duration timeout;
    private final FetchProgress progress;

    private StudyInfo study;
    private List<EpisodeRecord> episodes;
    private Map<Integer, EpisodeTrace> traces;
    private List<ArtifactRecord> artifacts;

    public CollectorStudyData(String baseUrl, String studyId, Duration timeout, FetchProgress progress) {
        this.base = baseUri(baseUrl);
        if (studyId == null || studyId.isBlank()) {
            throw new IllegalArgumentException("a study id is required");
        }
        this.studyId = studyId;
        this.timeout = timeout;
        this.progress = progress == null ? FetchProgress.NONE : progress;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    public CollectorStudyData(String baseUrl, String studyId) {
        this(baseUrl, studyId, Duration.ofSeconds(30), FetchProgress.NONE);
    }

    /** Every study the collector knows. */
    public static List<StudyInfo> listStudies(String baseUrl, Duration timeout) {
        URI base = baseUri(baseUrl);
        HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
        return CollectorJson.studies(get(http, base, "/api/v1/studies", timeout));
    }

    @Override
    public synchronized StudyInfo study() {
        if (study == null) {
            try {
                study = CollectorJson.study(get("/api/v1/studies/" + encode(studyId)));
            } catch (NotFound e) {
                List<String> known = listStudies(base.toString(), timeout).stream().map(StudyInfo::id).toList();
                throw new StudyDataException("the collector at " + base + " has no study '" + studyId + "'"
                        + (known.isEmpty() ? " (it has no study at all)" : "; known: " + String.join(", ", known)));
            }
        }
        return study;
    }

    @Override
    public synchronized List<EpisodeRecord> episodes() {
        if (episodes == null) {
            study(); // a clear error for an unknown study rather than an empty list
            episodes = List.copyOf(CollectorJson.episodes(get("/api/v1/studies/" + encode(studyId) + "/episodes")));
        }
        return episodes;
    }

    @Override
    public synchronized Map<Integer, EpisodeTrace> traces() {
        if (traces == null) {
            traces = fetchTraces(episodes().stream().map(EpisodeRecord::index).toList());
        }
        return traces;
    }

    @Override
    public synchronized List<ArtifactRecord> artifacts() {
        if (artifacts == null) {
            artifacts = List.copyOf(CollectorJson.artifacts(get("/api/v1/artifacts")));
        }
        return artifacts;
    }

    private Map<Integer, EpisodeTrace> fetchTraces(List<Integer> indices) {
        progress.started(indices.size());
        Semaphore slots = new Semaphore(PARALLEL_REQUESTS);
        AtomicInteger done = new AtomicInteger();
        Map<Integer, EpisodeTrace> out = Collections.synchronizedMap(new TreeMap<>());
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (int index : indices) {
            slots.acquireUninterruptibly();
            HttpRequest request = request("/api/v1/episodes/" + encode(studyId) + "/" + index + "/trace");
            pending.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .thenAccept(response -> {
                        if (response.statusCode() == 200) {
                            out.put(index, CollectorJson.trace(parse(response.body(), request.uri())));
                        } else if (response.statusCode() != 404) { // no trace stored: the episode is kept without one
                            throw new StudyDataException(failure(request.uri(), response));
                        }
                        progress.fetched(done.incrementAndGet());
                    })
                    .whenComplete((v, e) -> slots.release()));
        }
        try {
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw unwrap(e);
        } finally {
            progress.finished();
        }
        return Collections.unmodifiableMap(new TreeMap<>(out));
    }

    private JsonNode get(String path) {
        return get(http, base, path, timeout);
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout).header("Accept", "application/json").GET().build();
    }

    private static JsonNode get(HttpClient http, URI base, String path, Duration timeout) {
        URI uri = URI.create(base + path); // keeps a path prefix of the base URL
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json").GET().build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new StudyDataException("cannot reach the collector at " + base + " (connection refused); is it running? "
                    + "See services/collector/README.md", e);
        } catch (IOException e) {
            throw new StudyDataException("cannot read " + uri + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StudyDataException("interrupted while reading " + uri, e);
        }
        if (response.statusCode() == 404) {
            throw new NotFound(failure(uri, response));
        }
        if (response.statusCode() != 200) {
            throw new StudyDataException(failure(uri, response));
        }
        return parse(response.body(), uri);
    }

    private static JsonNode parse(String body, URI uri) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new StudyDataException("the collector's answer to " + uri + " is not JSON: " + e.getMessage(), e);
        }
    }

    private static String failure(URI uri, HttpResponse<String> response) {
        String detail = response.body();
        try {
            JsonNode error = JSON.readTree(detail).get("error");
            if (error != null) {
                detail = error.asText();
            }
        } catch (IOException e) {
            // not JSON: keep the raw body
        }
        if (detail.length() > 300) {
            detail = detail.substring(0, 300) + "…";
        }
        return "GET " + uri + " answered " + response.statusCode() + (detail.isBlank() ? "" : ": " + detail);
    }

    private static RuntimeException unwrap(CompletionException e) {
        Throwable c = e.getCause();
        if (c instanceof StudyDataException s) {
            return s;
        }
        if (c instanceof ConnectException) {
            return new StudyDataException("lost the collector while fetching traces (connection refused)", c);
        }
        return new StudyDataException("fetching traces failed: " + c, c);
    }

    private static URI baseUri(String baseUrl) {
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new IllegalArgumentException("the collector URL is empty (e.g. " + DEFAULT_URL + ")");
        }
        URI uri;
        try {
            uri = URI.create(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the collector URL '" + baseUrl + "' is not a URL: " + e.getMessage());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("the collector URL must be http(s)://host:port, got '" + baseUrl + "'");
        }
        return uri;
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    public String toString() {
        return "study " + studyId + " at " + base + " (" + (episodes == null ? "not fetched" : episodes.size() + " episodes")
                + ")";
    }

    /** A 404 from the collector. */
    private static final class NotFound extends StudyDataException {
        NotFound(String message) {
            super(message);
        }
    }
}
