package dev.qwm.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module rules of docs/architecture.md, checked on the main classes of every module (tests may reach further:
 * a service's tests start the embedded infrastructure, quantization's tests build bundles with training's exporter).
 * Each module owns one package root, so a rule on packages is a rule on modules.
 */
class ArchitectureTest {

    static final String FILES = "dev.qwm.files..";
    static final String PROGRESS = "dev.qwm.progress..";
    static final String ENVIRONMENTS = "dev.qwm.env..";
    static final String ONNX_GRAPH = "dev.qwm.onnx..";
    static final String PLANNING = "dev.qwm.planning..";
    static final String TRAINING = "dev.qwm.training..";
    static final String QUANTIZATION = "dev.qwm.quant..";
    static final String ANALYSIS = "dev.qwm.analysis..";
    static final String CLI = "dev.qwm.cli..";
    static final String EMBEDDED_INFRA = "dev.qwm.infra..";
    static final String TEST_SUPPORT = "dev.qwm.testsupport..";
    static final String SERVICE_SUPPORT = "dev.qwm.servicesupport..";
    static final String IMAGES = "dev.qwm.images..";
    /** The stubs each service generates from proto/ (qwm-proto ships only the .proto files). */
    static final String PROTO = "dev.qwm.api..";

    static final List<String> SERVICES = List.of("dev.qwm.collector..", "dev.qwm.encoder..", "dev.qwm.predictor..",
            "dev.qwm.quantizer..", "dev.qwm.planner..");
    static final List<String> LIBRARIES = List.of(FILES, PROGRESS, ENVIRONMENTS, ONNX_GRAPH, PLANNING, TRAINING, QUANTIZATION,
            ANALYSIS);

    /** Quarkus, CDI and the APIs that only a Quarkus application provides. */
    static final String[] APPLICATION_FRAMEWORK = {"io.quarkus..", "io.smallrye..", "io.vertx..",
        "jakarta.enterprise..", "jakarta.inject..", "jakarta.ws.rs..", "jakarta.interceptor..",
        "org.eclipse.microprofile..", "javax.inject.."};

    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.qwm");
    }

    @Test
    void everyModuleIsOnTheClasspath() {
        // a module missing from this module's pom would make every rule below pass on nothing
        for (String root : concat(LIBRARIES, SERVICES, List.of(CLI, EMBEDDED_INFRA, TEST_SUPPORT, SERVICE_SUPPORT, IMAGES,
                PROTO))) {
            assertFalse(main.that(resideIn(root)).isEmpty(), "no main class in " + root);
        }
        // and so would a new module that nobody added here: every package root with main sources must be imported
        Path repository = Path.of(System.getProperty("qwm.root", "../.."));
        List<Path> packageRoots = Stream.of("services", "services/libs", "deploy").map(repository::resolve)
                .filter(Files::isDirectory).flatMap(ArchitectureTest::list)
                .map(m -> m.resolve("src/main/java/dev/qwm")).filter(Files::isDirectory)
                .flatMap(ArchitectureTest::list).toList();
        assertFalse(packageRoots.isEmpty(), "no module sources under " + repository.toAbsolutePath());
        for (Path packageRoot : packageRoots) {
            String name = "dev.qwm." + packageRoot.getFileName();
            assertFalse(main.that(resideIn(name + "..")).isEmpty(), name + " (" + repository.relativize(packageRoot)
                    + ") is not checked: add its module to services/architecture-tests/pom.xml and a layer here");
        }
    }

    private static Stream<Path> list(Path dir) {
        try (Stream<Path> children = Files.list(dir)) {
            return children.toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void plainJavaModulesNeverUseQuarkusOrCdi() {
        String[] plainJava = concat(LIBRARIES, List.of(CLI, EMBEDDED_INFRA, IMAGES)).toArray(String[]::new);
        noClasses().that().resideInAnyPackage(plainJava)
                .should().dependOnClassesThat().resideInAnyPackage(APPLICATION_FRAMEWORK)
                .because("libraries, the CLI and the embedded infrastructure are plain Java; Quarkus is the services'")
                .check(main);
    }

    @Test
    void theRulesSeeRealDependencies() {
        // planning does use environments: a rule that forbids it must find that, or the import saw no dependencies
        assertTrue(noClasses().that().resideInAPackage(PLANNING)
                .should().dependOnClassesThat().resideInAPackage(ENVIRONMENTS)
                .evaluate(main).hasViolation());
    }

    @Test
    void servicesNeverUseEachOther() {
        for (String service : SERVICES) {
            noClasses().that().resideInAPackage(service)
                    .should().dependOnClassesThat().resideInAnyPackage(
                            SERVICES.stream().filter(s -> !s.equals(service)).toArray(String[]::new))
                    .because("services talk over gRPC and Kafka (proto/), never through each other's code")
                    .check(main);
        }
    }

    @Test
    void modulesUseOnlyTheModulesBelowThem() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("files").definedBy(FILES)
                .layer("progress").definedBy(PROGRESS)
                .layer("environments").definedBy(ENVIRONMENTS)
                .layer("onnx-graph").definedBy(ONNX_GRAPH)
                .layer("planning").definedBy(PLANNING)
                .layer("training").definedBy(TRAINING)
                .layer("quantization").definedBy(QUANTIZATION)
                .layer("analysis").definedBy(ANALYSIS)
                .layer("cli").definedBy(CLI)
                .layer("embedded-infra").definedBy(EMBEDDED_INFRA)
                .layer("test-support").definedBy(TEST_SUPPORT)
                .layer("service-support").definedBy(SERVICE_SUPPORT)
                .layer("images").definedBy(IMAGES)
                .layer("proto").definedBy(PROTO)
                .layer("services").definedBy(SERVICES.toArray(String[]::new))

                .whereLayer("files").mayNotAccessAnyLayer()
                .whereLayer("progress").mayNotAccessAnyLayer()
                .whereLayer("environments").mayOnlyAccessLayers("files", "progress")
                .whereLayer("onnx-graph").mayOnlyAccessLayers("files", "progress")
                .whereLayer("planning").mayOnlyAccessLayers("environments", "onnx-graph", "files", "progress")
                .whereLayer("training").mayOnlyAccessLayers("planning", "environments", "onnx-graph", "files",
                        "progress")
                .whereLayer("quantization").mayOnlyAccessLayers("planning", "environments", "onnx-graph", "files",
                        "progress")
                .whereLayer("analysis").mayOnlyAccessLayers("quantization", "planning", "environments", "onnx-graph",
                        "files", "progress")
                .whereLayer("cli").mayOnlyAccessLayers("analysis", "quantization", "training", "planning",
                        "environments", "onnx-graph", "files", "progress", "embedded-infra")
                .whereLayer("services").mayOnlyAccessLayers("proto", "analysis", "quantization", "training", "planning",
                        "environments", "onnx-graph", "files", "progress", "service-support")
                .whereLayer("embedded-infra").mayNotAccessAnyLayer()
                .whereLayer("test-support").mayOnlyAccessLayers("embedded-infra")
                .whereLayer("service-support").mayNotAccessAnyLayer()
                .whereLayer("images").mayNotAccessAnyLayer()
                .whereLayer("proto").mayNotAccessAnyLayer()
                .ensureAllClassesAreContainedInArchitecture()
                .check(main);
    }

    /** A package cycle means the packages cannot be understood, tested or moved one at a time. */
    @Test
    void noCyclesBetweenPackages() {
        slices().matching("dev.qwm.(**)").should().beFreeOfCycles().check(main);
    }

    private static DescribedPredicate<JavaClass> resideIn(String packageIdentifier) {
        return JavaClass.Predicates.resideInAPackage(packageIdentifier);
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        return java.util.Arrays.stream(lists).flatMap(List::stream).toList();
    }
}
