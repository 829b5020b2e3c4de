package dev.qwm.quant;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.time.temporal.ChronoUnit;

/** A console progress bar per task (me.tongfei:progressbar), with rate and ETA, on the given stream. */
public final class ConsoleProgress implements Progress {

    private final PrintStream out;
    private ProgressBar bar;

    public ConsoleProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public void start(String task, long total) {
        finish();
        if (total == 0) {
            return; // nothing to show
        }
        bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(out)).setUpdateIntervalMillis(250)
                .showSpeed().setSpeedUnit(ChronoUnit.SECONDS).setUnit(" step", 1).build();
    }

    @Override
    public void step(String what) {
        if (bar != null) {
            bar.setExtraMessage(what.length() > 40 ? "…" + what.substring(what.length() - 39) : what);
            bar.step();
        }
    }

    @Override
    public void finish() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
