package dev.qwm.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportCommandTest {

    @Test
    void anExistingReportIsReplacedOnlyWithForceAndAnotherFolderNever(@TempDir Path dir) throws Exception {
        Path report = dir.resolve("report");
        assertDoesNotThrow(() -> ReportCommand.htmlTarget(report, false).check(), "a new folder");
        Files.createDirectories(report);
        Files.writeString(report.resolve("index.html"), "<html></html>");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReportCommand.htmlTarget(report, false).check());
        assertTrue(e.getMessage().contains("--force"), e.getMessage());
        assertDoesNotThrow(() -> ReportCommand.htmlTarget(report, true).check());

        Path notes = Files.createDirectories(dir.resolve("notes"));
        Files.writeString(notes.resolve("todo.md"), "keep me");
        assertThrows(IllegalArgumentException.class, () -> ReportCommand.htmlTarget(notes, true).check());
        assertThrows(IllegalArgumentException.class, () -> ReportCommand.csvTarget(notes, true).check());
        Path csv = Files.createDirectories(dir.resolve("csv"));
        Files.writeString(csv.resolve("overview.csv"), "a,b\n");
        assertThrows(IllegalArgumentException.class, () -> ReportCommand.csvTarget(csv, false).check());
        assertDoesNotThrow(() -> ReportCommand.csvTarget(csv, true).check());
    }
}
