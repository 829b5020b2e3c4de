package dev.qwm.training.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The git commit of the working tree a model was trained from, for its manifest. */
final class GitInfo {

    private GitInfo() {
    }

    /** {@code <commit>} or {@code <commit>-dirty}; "unknown" outside a git checkout. */
    static String describe(Path anyPathInTree) {
        Path dir = anyPathInTree.toAbsolutePath();
        while (dir != null && !dir.toFile().isDirectory()) {
            dir = dir.getParent();
        }
        if (dir == null) {
            return "unknown";
        }
        String commit = git(dir, "rev-parse", "HEAD");
        if (commit == null) {
            return "unknown";
        }
        String status = git(dir, "status", "--porcelain", "--untracked-files=no", "--", "services", "pom.xml");
        return status == null || status.isEmpty() ? commit : commit + "-dirty";
    }

    private static String git(Path dir, String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "git";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
