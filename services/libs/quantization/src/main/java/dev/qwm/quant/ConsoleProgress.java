package dev.qwm.quant;

import dev.qwm.progress.ProgressLine;

import java.io.PrintStream;

/** A progress line per task (count, rate, ETA) on the given stream. */
public final class ConsoleProgress implements Progress {

    private final PrintStream out;
    private ProgressLine line;

    public ConsoleProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public void start(String task, long total) {
        finish();
        if (total == 0) {
            return; // nothing to show
        }
        line = ProgressLine.on(out).task(task).total(total).unit("step").start();
    }

    @Override
    public void step(String what) {
        if (line != null) {
            line.message(what.length() > 40 ? "…" + what.substring(what.length() - 39) : what);
            line.step();
        }
    }

    @Override
    public void finish() {
        if (line != null) {
            line.close();
            line = null;
        }
    }
}
