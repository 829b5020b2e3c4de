package dev.qwm.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The test tiers of the README: a test that starts the broker, the database or the services is an {@code *IT} (run by
 * failsafe in {@code verify}, skipped by {@code -Pquick}); {@code *Test} classes are the unit tier. Checked on the
 * compiled test classes of every module, which the reactor builds before this one.
 */
class TestTiersTest {

    /** What starts a real server: the Quarkus test resource, the embedded infrastructure, the local service stack. */
    static final Set<String> SERVERS = Set.of(
            "dev.qwm.testsupport.EmbeddedInfraResource",
            "dev.qwm.infra.EmbeddedInfrastructure",
            "dev.qwm.infra.LocalInfrastructure",
            "dev.qwm.infra.KafkaBroker",
            "dev.qwm.infra.PostgresServer",
            "dev.qwm.infra.LocalServices");

    private static JavaClasses tests;

    @BeforeAll
    static void importTestClasses() throws IOException {
        Path root = Path.of(System.getProperty("qwm.root", "../.."));
        Path self = Path.of("target", "test-classes").toAbsolutePath().normalize();
        List<Path> dirs;
        try (Stream<Path> modules = Stream.of("services", "services/libs", "deploy").map(root::resolve)
                .flatMap(TestTiersTest::children)) {
            dirs = modules.map(m -> m.resolve("target/test-classes").toAbsolutePath().normalize())
                    .filter(Files::isDirectory).filter(d -> !d.equals(self)).toList();
        }
        tests = new ClassFileImporter().importPaths(dirs);
    }

    @Test
    void unitTestsStartNoServer() {
        noClasses().that().haveSimpleNameEndingWith("Test")
                .should().dependOnClassesThat(servers())
                .because("a test that starts the broker, the database or the services is an *IT: failsafe runs it"
                        + " in verify and -Pquick leaves it out")
                .check(tests);
    }

    @Test
    void theRuleSeesTheIntegrationTests() {
        // without the modules' test classes the rule above would pass on nothing
        assertFalse(tests.isEmpty(), "no test classes found under " + System.getProperty("qwm.root"));
        assertTrue(noClasses().that().haveSimpleNameEndingWith("IT").should().dependOnClassesThat(servers())
                .evaluate(tests).hasViolation(), "no *IT found that starts a server");
    }

    private static DescribedPredicate<JavaClass> servers() {
        return DescribedPredicate.describe("start a server " + SERVERS, c -> SERVERS.contains(c.getName()));
    }

    private static Stream<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) {
            return Stream.empty();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
