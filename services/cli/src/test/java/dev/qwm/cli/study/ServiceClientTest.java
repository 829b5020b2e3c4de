package dev.qwm.cli.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Against a real HTTP server that answers slowly: a request waits as long as its client allows, and no longer. */
class ServiceClientTest {

    @Test
    void aSlowAnswerIsWaitedForWithinTheTimeoutAndNamedWhenItIsNot() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/slow", exchange -> {
            try {
                Thread.sleep(1_500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "{\"stored\":3}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            ServiceClient impatient = new ServiceClient("collector", url).withTimeout(Duration.ofMillis(300));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> impatient.post("/slow", new ObjectMapper().createObjectNode()));
            assertTrue(e.getMessage().contains("collector service at " + url + " did not answer within 300 ms"),
                    e.getMessage());
            ServiceClient patient = impatient.withTimeout(Duration.ofSeconds(30));
            assertEquals(3, patient.post("/slow", new ObjectMapper().createObjectNode()).path("stored").asInt());
            assertEquals(url, patient.baseUrl());
        } finally {
            server.stop(0);
        }
    }
}
