package dev.qwm.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The service images built by {@code ./mvnw -Pimages}: every service module of the repository must have produced
 * services/NAME/target/images/qwm-NAME.tar, and each must pass {@link ImageChecks} with its port and the chart's
 * user. Runs only with -Pimages (which sets qwm.images.root to the repository); the plain build has no images.
 */
class ServiceImagesTest {

    /** The services and their ports (README's services table, the chart's values.yaml). */
    static final Map<String, Integer> PORTS = new LinkedHashMap<>();

    static {
        PORTS.put("quantizer", 8081);
        PORTS.put("encoder", 8082);
        PORTS.put("predictor", 8083);
        PORTS.put("planner", 8084);
        PORTS.put("collector", 8085);
    }

    /** runAsUser in the chart's podSecurityContext, and the user the base image creates. */
    static final long CHART_UID = 10001;

    @Test
    void everyServiceImageIsFitForTheChart() throws IOException {
        String root = System.getProperty("qwm.images.root", "");
        assumeFalse(root.isBlank(), "service images are checked with -Pimages");
        Path repo = Path.of(root);
        Map<String, List<String>> problems = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> service : PORTS.entrySet()) {
            String name = service.getKey();
            Path module = repo.resolve("services").resolve(name);
            if (!Files.isRegularFile(module.resolve("pom.xml"))) {
                continue; // not written yet
            }
            Path tarball = module.resolve("target/images/qwm-" + name + ".tar");
            if (!Files.isRegularFile(tarball)) {
                problems.put(name, List.of("no image at " + tarball
                        + ": services/" + name + "/pom.xml needs the 'images' profile (as services/encoder/pom.xml)"));
                continue;
            }
            ImageArchive image = ImageArchive.read(tarball);
            List<String> found = new java.util.ArrayList<>(ImageChecks.problems(image, service.getValue(), CHART_UID));
            List<String> entrypoint = image.config().entrypoint();
            if (entrypoint.isEmpty() || !entrypoint.get(entrypoint.size() - 1).equals("/deployments/quarkus-run.jar")) {
                found.add("entrypoint " + entrypoint + " does not start Quarkus' fast-jar /deployments/quarkus-run.jar");
            }
            System.out.printf("%s: %s, %d layers, entrypoint %s, user %s, ports %s: %s%n", name, image.format(),
                    image.layers().size(), entrypoint, image.config().user(), image.config().exposedPorts(),
                    found.isEmpty() ? "fit" : found);
            problems.put(name, found);
        }
        problems.values().removeIf(List::isEmpty);
        assertEquals(Map.of(), problems, "service images unfit for the chart");
        assertTrue(Files.isRegularFile(repo.resolve("services/encoder/target/images/qwm-encoder.tar")),
                "the encoder image at least must exist");
    }
}
