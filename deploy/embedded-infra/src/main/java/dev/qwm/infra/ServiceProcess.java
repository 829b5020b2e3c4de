package dev.qwm.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A packaged service ({@code quarkus-run.jar}) running as a child of this JVM on a free loopback port, its output
 * in a log file: what a test starts when it needs a service as its own process. Unlike {@link LocalServices}' stack
 * it is not detached, so it never outlives the test.
 */
public final class ServiceProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Process process;
    private final int port;
    private final Path log;

    private ServiceProcess(String name, Process process, int port, Path log) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts {@code jar} with the given system properties and environment, and waits until it reports ready.
     *
     * @throws IllegalStateException naming the log (and quoting its end) if it exits or is not ready in time
     */
    public static ServiceProcess start(String name, Path jar, Map<String, String> properties,
                                       Map<String, String> environment, Path log, Duration readyTimeout) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar.toAbsolutePath() + " does not exist: build the " + name + " service"
                    + " first (the reactor packages it before the tests that start it)");
        }
        int port = Ports.free();
        List<String> command = new ArrayList<>(List.of(Processes.javaExecutable(), "-Xmx256m",
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port));
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        ServiceProcess service = new ServiceProcess(name, process, port, log);
        try {
            awaitReady(name, process, "http://127.0.0.1:" + port, log, readyTimeout, HTTP);
        } catch (RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
        return service;
    }

    /**
     * Starts the packaged {@code service} as the reactor built it: {@code services/<service>/target/quarkus-app} of
     * the repository ({@code qwm.root}, else two folders up: a service module or the system tests), or the folder of
     * system property {@code test.<service>.app.dir}; its log is {@code <service>-<run>.log} beside that folder.
     *
     * @param properties its configuration, as -D system properties
     * @param environment more configuration, as environment variables
     */
    public static ServiceProcess packaged(String service, String run, Map<String, String> properties,
                                          Map<String, String> environment, Duration readyTimeout) {
        Path app = Path.of(System.getProperty("test." + service + ".app.dir",
                Path.of(System.getProperty("qwm.root", "../..")).resolve("services").resolve(service)
                        .resolve("target/quarkus-app").toString())).toAbsolutePath().normalize();
        return start(service, app.resolve("quarkus-run.jar"), properties, environment,
                app.getParent().resolve(service + "-" + run + ".log"), readyTimeout);
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    /** Status and body of a GET on the service's HTTP port. */
    public HttpResponse<String> get(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A crash: SIGKILL, no shutdown hook runs. */
    public void kill() {
        process.destroyForcibly();
        awaitExit();
    }

    /** An orderly stop: SIGTERM, the service shuts down. */
    public void stop() {
        process.destroy();
        awaitExit();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }

    private void awaitExit() {
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("the " + name + " service did not exit within 60 s; see " + log);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** An HTTP client for probing services: over TLS trusting {@code ssl}'s CA, or plain when it is null. */
    static HttpClient client(javax.net.ssl.SSLContext ssl) {
        if (ssl == null) {
            return HTTP;
        }
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).sslContext(ssl).build();
    }

    /** Polls {@code baseUrl}/q/health/ready until it answers 200; fails naming the log if the process exits first. */
    static void awaitReady(String name, Process process, String baseUrl, Path log, Duration timeout, HttpClient http) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("service " + name + " exited with code " + process.exitValue()
                        + " while starting; last lines of " + log + ":\n" + Logs.tail(log, 25));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + r.statusCode() + ": " + r.body().replaceAll("\\s+", " ");
            } catch (IOException notYet) {
                last = notYet.getMessage() == null ? notYet.toString() : notYet.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name, e);
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name, e);
            }
        }
        throw new IllegalStateException("service " + name + " not ready after " + timeout.toSeconds() + " s (" + last
                + "); see " + log + ":\n" + Logs.tail(log, 25));
    }
}
