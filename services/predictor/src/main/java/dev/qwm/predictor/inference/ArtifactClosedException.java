package dev.qwm.predictor.inference;

/** A call reached a predictor artifact after it was closed (evicted); resolving the reference again reloads it. */
public final class ArtifactClosedException extends IllegalStateException {

    public ArtifactClosedException(String label) {
        super("predictor artifact " + label + " was closed");
    }
}
