package dev.qwm.cli.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * HTTP + JSON to one qwm service; an error reply becomes an exception carrying the service's own message. Over
 * HTTPS it trusts the credentials' CA (else the JDK's), and it sends their bearer token when they have one.
 */
public final class ServiceClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final String baseUrl;
    private final HttpClient http;
    private final String authorization;
    /** How long a request may wait for its answer. */
    private final Duration timeout;

    /** With the credentials of the environment or the local stack ({@link ServiceCredentials#resolve}). */
    public ServiceClient(String name, String baseUrl) {
        this(name, baseUrl, ServiceCredentials.resolve(ServiceCredentials.localDirectory()));
    }

    public ServiceClient(String name, String baseUrl, ServiceCredentials credentials) {
        this.name = name;
        this.baseUrl = baseUrl;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3));
        credentials.ssl().ifPresent(b::sslContext);
        this.http = b.build();
        this.authorization = credentials.token().map(t -> "Bearer " + t).orElse(null);
        this.timeout = DEFAULT_TIMEOUT;
    }

    private ServiceClient(ServiceClient c, Duration timeout) {
        this.name = c.name;
        this.baseUrl = c.baseUrl;
        this.http = c.http;
        this.authorization = c.authorization;
        this.timeout = timeout;
    }

    /** The same service with another time a request may wait for its answer (default 60 s). */
    public ServiceClient withTimeout(Duration timeout) {
        return new ServiceClient(this, timeout);
    }

    public JsonNode get(String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET()).orElseThrow();
    }

    /** Like {@link #get}, but a 404 (the service does not know it, yet) is an empty answer rather than an error. */
    public Optional<JsonNode> find(String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).GET(), true);
    }

    public JsonNode post(String path, JsonNode body) {
        return post(path, body, java.util.Map.of());
    }

    /** The base URL requests go to. */
    public String baseUrl() {
        return baseUrl;
    }

    /** A PUT of a JSON body (a record stored under its id, replaced when put again). */
    public JsonNode put(String path, JsonNode body) {
        try {
            return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))).orElseThrow();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A POST with more headers (e.g. {@code traceparent}). */
    public JsonNode post(String path, JsonNode body, java.util.Map<String, String> headers) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path));
            headers.forEach(request::header);
            return send(request
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))).orElseThrow();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Optional<JsonNode> send(HttpRequest.Builder request) {
        return send(request, false);
    }

    private Optional<JsonNode> send(HttpRequest.Builder request, boolean notFoundIsEmpty) {
        HttpResponse<String> r;
        try {
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            r = http.send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.net.http.HttpTimeoutException e) {
            throw new IllegalStateException("the " + name + " service at " + baseUrl + " did not answer within "
                    + (timeout.toMillis() < 1000 ? timeout.toMillis() + " ms" : timeout.toSeconds() + " s")
                    + "; is it running, or overloaded? (./qwm services status)");
        } catch (IOException e) {
            throw new IllegalStateException("the " + name + " service at " + baseUrl + " does not answer ("
                    + e.getMessage() + "); is it running? (./qwm services status)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        JsonNode body;
        try {
            body = r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            body = JSON.getNodeFactory().textNode(r.body());
        }
        if (r.statusCode() == 404 && notFoundIsEmpty) {
            return Optional.empty();
        }
        if (r.statusCode() >= 400) {
            String message = body.has("error") ? body.get("error").asText() : r.body();
            throw new IllegalArgumentException(name + " service: " + message);
        }
        return Optional.of(body);
    }
}
