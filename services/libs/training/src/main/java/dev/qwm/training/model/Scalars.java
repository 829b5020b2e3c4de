package dev.qwm.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with a constant on arrays in an autograd graph, the constant held in PyTorch's own memory.
 *
 * <p>DJL's {@code mul(Number)} and {@code div(Number)} wrap the number in a tensor over a Java direct buffer
 * ({@code torch::from_blob}) and close it as soon as the product exists. PyTorch's graph saves that tensor for the
 * backward pass, and nothing keeps its buffer alive: once the JVM collects the buffer, the backward pass multiplies
 * by freed memory. Gradients then come out wrong or non-finite at random, more often the more the JVM allocates
 * (it showed as a skipped training step and as a resumed run that differed from an uninterrupted one). A constant
 * made by {@code full} is PyTorch's allocation, reference-counted by the graph like any other tensor.
 */
public final class Scalars {

    private Scalars() {
    }

    /** {@code x * s}. */
    public static NDArray mul(NDArray x, float s) {
        try (NDArray c = x.getManager().full(new Shape(), s, x.getDataType())) {
            return x.mul(c);
        }
    }

    /** {@code x / s}. */
    public static NDArray div(NDArray x, float s) {
        try (NDArray c = x.getManager().full(new Shape(), s, x.getDataType())) {
            return x.div(c);
        }
    }
}
