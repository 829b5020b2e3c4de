package dev.qwm.cli.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner against a real HTTP server standing in for the collector's REST API. */
class StudyRunnerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpServer collector;
    private final AtomicInteger asked = new AtomicInteger();
    private volatile int notFoundAnswers;

    @BeforeEach
    void start() throws Exception {
        collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/api/v1/studies/", exchange -> {
            boolean known = asked.incrementAndGet() > notFoundAnswers;
            byte[] body = (known ? "{\"summary\":{\"episodeCount\":20}}" : "{\"error\":\"no study s1\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(known ? 200 : 404, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        collector.start();
    }

    @AfterEach
    void stop() {
        collector.stop(0);
    }

    private StudyRunner runner() {
        String url = "http://127.0.0.1:" + collector.getAddress().getPort();
        ServiceClient unused = new ServiceClient("unused", "http://127.0.0.1:1");
        return new StudyRunner(unused, unused, new ServiceClient("collector", url),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @Test
    void stoppingAWatchedStudyExportsWhatTheCollectorStoredSinceTheLastExport(@TempDir Path dir) throws Exception {
        collector.createContext("/api/v1/studies/s1/episodes", exchange -> answer(exchange,
                "{\"episodes\":[" + episode(0) + "," + episode(1) + "," + episode(2) + "]}"));
        collector.createContext("/api/v1/episodes/s1/", exchange -> answer(exchange, "{\"steps\":[]}"));
        StudyLog log = StudyLog.open(dir.resolve("log"), "s1", "f1");
        StudyRunner runner = runner();
        // the periodic export wrote episode 0 before the command was stopped
        assertEquals(1, runner.export("s1", log, JSON.readTree("[" + episode(0) + "]")));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread hook = runner.exportOnExit("s1", log, new PrintStream(err, true, StandardCharsets.UTF_8));
        hook.start();
        hook.join();
        assertEquals(java.util.Set.of(0, 1, 2), StudyLog.read(dir.resolve("log")).indices(), "read back from disk");
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("2 more episodes added"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aStoppedStudyWhoseCollectorIsGoneSaysWhereItsEpisodesWait(@TempDir Path dir) throws Exception {
        StudyLog log = StudyLog.open(dir.resolve("log"), "s1", "f1");
        collector.stop(0);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread hook = runner().exportOnExit("s1", log, new PrintStream(err, true, StandardCharsets.UTF_8));
        hook.start();
        hook.join();
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("stay in the collector"), err.toString(StandardCharsets.UTF_8));
        assertEquals(java.util.Set.of(), StudyLog.read(dir.resolve("log")).indices());
    }

    private static String episode(int index) {
        return "{\"episodeId\":{\"studyId\":{\"value\":\"s1\"},\"index\":" + index + "},\"success\":true}";
    }

    private static void answer(com.sun.net.httpserver.HttpExchange exchange, String json) throws java.io.IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    @Test
    void aStudyTheCollectorHasNotRecordedYetIsAskedForAgain() {
        notFoundAnswers = 3; // the study-submitted event is consumed a moment after submission
        assertEquals(20, runner().awaitStudy("s1", Duration.ofSeconds(20)).path("summary").path("episodeCount").asInt());
        assertEquals(4, asked.get());
    }

    @Test
    void aStudyThatNeverAppearsFailsWithAMessageNamingIt() {
        notFoundAnswers = Integer.MAX_VALUE;
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> runner().awaitStudy("s1", Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("has not recorded study s1"), e.getMessage());
        assertTrue(asked.get() >= 2, "asked " + asked.get() + " times");
    }
}
