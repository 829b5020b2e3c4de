package dev.qwm.collector;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.testsupport.EmbeddedInfraResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** Verifications and searches stored through the HTTP API come back as sent; a resumed one replaces its row. */
@QuarkusTest
@QuarkusTestResource(EmbeddedInfraResource.class)
class VerificationApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aVerificationIsStoredReplacedAndListedWithItsSearch() throws Exception {
        ObjectNode v = verification("it-verify-1", "RUNNING", 8);
        put("/api/v1/verifications/it-verify-1", v).statusCode(200);
        ObjectNode later = verification("it-verify-1", "PASS", 24);
        later.put("search_id", "it-search");
        later.withArray("study_ids").add("verify-it-c-16");
        put("/api/v1/verifications/it-verify-1", later).statusCode(200);

        JsonNode back = get("/api/v1/verifications/it-verify-1");
        assertEquals("PASS", back.path("verdict").asText());
        assertEquals(24, back.path("pairs").asInt());
        assertEquals(3, back.path("study_ids").size());
        JsonNode all = get("/api/v1/verifications").path("verifications");
        int rows = 0;
        for (JsonNode r : all) {
            rows += r.path("verification_id").asText().equals("it-verify-1") ? 1 : 0;
        }
        assertEquals(1, rows, "a resumed verification replaces its row");

        ObjectNode search = JSON.createObjectNode().put("environment", "wall").put("bundle", "models/wall")
                .put("budget", "bytes=0.25");
        search.putArray("candidates").addObject().put("name", "c1");
        search.putObject("chosen").put("name", "c1");
        put("/api/v1/searches/it-search", search).statusCode(200);
        JsonNode s = get("/api/v1/searches/it-search");
        assertEquals("c1", s.path("chosen").path("name").asText());
        assertEquals("it-verify-1", s.path("verifications").get(0).path("verification_id").asText());
        assertEquals(1, get("/api/v1/verifications?search=it-search").path("verifications").size());

        // refusals name the problem
        ObjectNode bad = verification("it-verify-2", "PASS", 3);
        bad.remove("machine");
        put("/api/v1/verifications/it-verify-2", bad).statusCode(400).body("error", containsString("machine"));
        given().get("/api/v1/verifications/it-verify-2").then().statusCode(404);
        search.remove("candidates");
        put("/api/v1/searches/it-search-2", search).statusCode(400)
                .body("error", containsString("search it-search-2: candidates must be an array"));
    }

    private static ObjectNode verification(String id, String verdict, int pairs) {
        ObjectNode r = JSON.createObjectNode().put("verification_id", id).put("environment", "wall")
                .put("margin", 0.05).put("confidence", 0.95).put("budget", "max_iter=2").put("verdict", verdict)
                .put("difference", 0.0).put("pairs", pairs).put("episodes_planned", 2 * pairs)
                .put("machine", "test");
        r.putObject("candidate").put("name", "q").put("sha256", "aa");
        r.putObject("reference").put("name", "f").put("sha256", "bb");
        r.putObject("interval").put("lower", -0.1).put("upper", 0.1);
        r.putArray("study_ids").add("verify-it-r-0").add("verify-it-c-0");
        return r;
    }

    private static io.restassured.response.ValidatableResponse put(String path, JsonNode body) {
        return given().contentType("application/json").body(body.toString()).put(path).then();
    }

    private static JsonNode get(String path) throws Exception {
        return JSON.readTree(given().get(path).then().statusCode(200).extract().asString());
    }
}
