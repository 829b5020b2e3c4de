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
        int checked = 0;
        for (Map.Entry<String, Integer> service : PORTS.entrySet()) {
            Path module = repo.resolve("services").resolve(service.getKey());
            if (!Files.isRegularFile(module.resolve("pom.xml"))) {
                continue; // not written yet
            }
            Path tarball = module.resolve("target/images/qwm-" + service.getKey() + ".tar");
            assertTrue(Files.isRegularFile(tarball), "services/" + service.getKey() + " built no image at " + tarball
                    + ": its pom needs the 'images' profile (README, Deploying on Kubernetes)");
            ImageArchive image = ImageArchive.read(tarball);
            List<String> problems = ImageChecks.problems(image, service.getValue(), CHART_UID);
            assertEquals(List.of(), problems, image.toString());
            assertEquals("/deployments/quarkus-run.jar", image.config().entrypoint().get(image.config().entrypoint().size() - 1),
                    image + ": Quarkus' fast-jar launcher");
            System.out.printf("%s: %s, %d layers, entrypoint %s, user %s, ports %s%n", service.getKey(), image.format(),
                    image.layers().size(), image.config().entrypoint(), image.config().user(), image.config().exposedPorts());
            checked++;
        }
        assertTrue(checked >= 2, "expected at least the collector and encoder images, checked " + checked);
    }
}
