package dev.qwm.quant;

/** Where long quantization work reports its progress (a console bar in the CLI, nothing in tests). */
public interface Progress {

    Progress NONE = new Progress() {
        @Override
        public void start(String task, long total) {
        }

        @Override
        public void step(String what) {
        }

        @Override
        public void finish() {
        }
    };

    void start(String task, long total);

    void step(String what);

    void finish();
}
