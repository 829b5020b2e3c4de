package dev.qwm.cli.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The runner against a real HTTP server standing in for the collector's REST API. */
class StudyRunnerTest {

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
