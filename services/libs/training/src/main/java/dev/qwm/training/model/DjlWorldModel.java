package dev.qwm.training.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The four DJL components of a DINO-WM world model, with their normalisation statistics:
 * visual encoder, proprio encoder, action encoder and predictor.
 *
 * <p>Parameters live in the given {@link NDManager}; close it to free them. Weights are saved per component
 * with DJL's own parameter format, so that an encoder trained once can be reused by several world models.
 */
public final class DjlWorldModel {

    private final WorldModelConfig config;
    private final Normalization normalization;
    private final NDManager manager;
    private final VisualEncoder encoder;
    private final StepEmbedding proprioEncoder;
    private final StepEmbedding actionEncoder;
    private final Predictor predictor;

    private DjlWorldModel(WorldModelConfig config, Normalization normalization, NDManager manager) {
        if (normalization.proprioMean().length != config.proprioDim()
                || normalization.actionMean().length != config.actionDim()) {
            throw new IllegalArgumentException("normalisation dims (proprio " + normalization.proprioMean().length
                    + ", action " + normalization.actionMean().length + ") differ from the config's ("
                    + config.proprioDim() + ", " + config.actionDim() + ")");
        }
        this.config = config;
        this.normalization = normalization;
        this.manager = manager;
        encoder = new VisualEncoder(config);
        proprioEncoder = new StepEmbedding(config.proprioDim(), config.proprioEmbDim());
        actionEncoder = new StepEmbedding(config.actionDim(), config.actionEmbDim());
        predictor = new Predictor(config);
    }

    /**
     * A freshly initialised model. Initialisation draws from the engine's random generator, so seed it first
     * ({@code Engine.getInstance().setRandomSeed}) for a reproducible model.
     */
    public static DjlWorldModel create(WorldModelConfig config, Normalization normalization, NDManager manager) {
        DjlWorldModel m = new DjlWorldModel(config, normalization, manager);
        int n = config.numPatches();
        m.encoder.initialize(manager, DataType.FLOAT32, new Shape(1, config.imageSize(), config.imageSize(), 3));
        m.proprioEncoder.initialize(manager, DataType.FLOAT32, new Shape(1, 1, config.proprioDim()));
        m.actionEncoder.initialize(manager, DataType.FLOAT32, new Shape(1, 1, config.actionDim()));
        m.predictor.initialize(manager, DataType.FLOAT32, new Shape(1, 1, n, config.tokenDim()));
        return m;
    }

    public WorldModelConfig config() {
        return config;
    }

    public Normalization normalization() {
        return normalization;
    }

    public NDManager manager() {
        return manager;
    }

    public VisualEncoder encoder() {
        return encoder;
    }

    public StepEmbedding proprioEncoder() {
        return proprioEncoder;
    }

    public StepEmbedding actionEncoder() {
        return actionEncoder;
    }

    public Predictor predictor() {
        return predictor;
    }

    /** Components in a fixed order (used for saving and counting). */
    public List<Block> components() {
        return List.of(encoder, proprioEncoder, actionEncoder, predictor);
    }

    public static long parameterCount(Block block) {
        long n = 0;
        for (Parameter p : block.getParameters().values()) {
            n += p.getArray().size();
        }
        return n;
    }

    // ------------------------------------------------------------------ inference helpers (no gradient)

    /** images [B,H,W,3] 0..255 to latents [B,N,D]. */
    public NDArray encode(ParameterStore ps, NDArray images) {
        return encoder.forward(ps, new NDList(images), false).head();
    }

    /** normalised proprio [B,T,P] to [B,T,10]. */
    public NDArray embedProprio(ParameterStore ps, NDArray proprio, boolean training) {
        return proprioEncoder.forward(ps, new NDList(proprio), training).head();
    }

    /** normalised macro actions [B,T,A] to [B,T,10]. */
    public NDArray embedAction(ParameterStore ps, NDArray actions, boolean training) {
        return actionEncoder.forward(ps, new NDList(actions), training).head();
    }

    /**
     * DINO-WM's {@code encode} with concat_dim=1: visual latents [B,T,N,D], proprio embeddings [B,T,Ep] and
     * action embeddings [B,T,Ea] to tokens [B,T,N,D+Ep+Ea] (the embeddings repeated on every patch token).
     */
    public NDArray tokens(NDArray visual, NDArray proprioEmb, NDArray actionEmb) {
        Shape s = visual.getShape();
        long b = s.get(0);
        long t = s.get(1);
        long n = s.get(2);
        NDArray p = proprioEmb.reshape(b, t, 1, config.proprioEmbDim()).repeat(2, n);
        NDArray a = actionEmb.reshape(b, t, 1, config.actionEmbDim()).repeat(2, n);
        return ai.djl.ndarray.NDArrays.concat(new NDList(visual, p, a), 3);
    }

    /** z [B,T,N,E] to z_pred [B,T,N,E]. */
    public NDArray predict(ParameterStore ps, NDArray z, boolean training) {
        return predictor.forward(ps, new NDList(z), training).head();
    }

    // ------------------------------------------------------------------ persistence

    private static final String[] FILES = {"visual_encoder.params", "proprio_encoder.params", "action_encoder.params",
            "predictor.params"};

    /** Saves every component's parameters into {@code dir}. */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Block> blocks = components();
        for (int i = 0; i < blocks.size(); i++) {
            saveBlock(blocks.get(i), dir.resolve(FILES[i]));
        }
    }

    /** Saves only the visual encoder (the shared, frozen part) to {@code file}. */
    public void saveEncoder(Path file) throws IOException {
        saveBlock(encoder, file);
    }

    public void loadEncoder(Path file) throws IOException {
        loadBlock(encoder, file);
    }

    /** Loads every component's parameters from {@code dir} (written by {@link #save}). */
    public void load(Path dir) throws IOException {
        List<Block> blocks = components();
        for (int i = 0; i < blocks.size(); i++) {
            loadBlock(blocks.get(i), dir.resolve(FILES[i]));
        }
    }

    private static void saveBlock(Block block, Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp);
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os))) {
            block.saveParameters(out);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private void loadBlock(Block block, Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("missing parameter file " + file);
        }
        try (InputStream is = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new BufferedInputStream(is))) {
            block.loadParameters(manager, in);
        } catch (MalformedModelException | RuntimeException e) {
            throw new IOException("cannot load " + file + " (written for another model shape?): " + e.getMessage(), e);
        }
        // loadParameters replaces the arrays; trainable ones must record gradients again.
        for (Parameter p : block.getParameters().values()) {
            if (p.requiresGradient()) {
                p.getArray().setRequiresGradient(true);
            }
        }
    }

    /** All trainable parameters of the given components, in a stable order. */
    public static List<Parameter> trainable(Block... blocks) {
        List<Parameter> out = new ArrayList<>();
        for (Block b : blocks) {
            for (Parameter p : b.getParameters().values()) {
                if (p.requiresGradient()) {
                    out.add(p);
                }
            }
        }
        return out;
    }
}
