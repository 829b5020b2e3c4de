package dev.qwm.onnx.serving;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * The artifacts a serving process holds, by the sha256 of their ONNX file: loaded on demand from their bundle
 * folder, at most {@code maxLoaded} at once, the least recently used closed first. Loading and closing run outside
 * the lock, so a slow load does not hold up calls on loaded artifacts; an artifact evicted while a call still runs
 * on it is closed by its own {@code close()} rules (the services' artifacts finish queued work first).
 *
 * @param <T> what a loaded artifact is (an encoder, a predictor)
 */
public final class LoadedArtifacts<T extends LoadedArtifacts.Artifact> {

    /** A loaded artifact: its ONNX file's sha256, its bundle folder (absolute, normalised), a label for logs. */
    public interface Artifact extends AutoCloseable {
        String sha256();

        String bundle();

        String label();

        @Override
        void close();
    }

    private final String kind;
    private final int maxLoaded;
    private final BiFunction<String, String, T> loader;
    private final Consumer<T> onEvicted;
    private final Map<String, T> loaded = new LinkedHashMap<>(16, 0.75f, true);
    private final AtomicBoolean preloaded = new AtomicBoolean(false);
    private volatile String preloadFailure;

    /**
     * @param kind      "encoder", "predictor": names the artifacts in errors
     * @param loader    (bundle folder, requested sha256 or "") to a loaded, warmed artifact; throws
     *                  IllegalArgumentException naming why it cannot
     * @param onEvicted told of each artifact before it is closed for want of room (e.g. to log it)
     */
    public LoadedArtifacts(String kind, int maxLoaded, BiFunction<String, String, T> loader, Consumer<T> onEvicted) {
        if (maxLoaded < 1) {
            throw new IllegalArgumentException("at most " + maxLoaded + " " + kind + " artifacts loaded: must be at least 1");
        }
        this.kind = kind;
        this.maxLoaded = maxLoaded;
        this.loader = loader;
        this.onEvicted = onEvicted;
    }

    /**
     * The artifact with {@code sha256} if it is loaded, else the one of {@code bundle} (loaded if need be and, when
     * {@code sha256} is given, checked by the loader to be that one).
     *
     * @throws IllegalArgumentException if both are blank, if the artifact is not loaded and no bundle is named, or
     *     if the loader refuses the bundle
     */
    public T get(String bundle, String sha256) {
        if (bundle.isBlank() && sha256.isBlank()) {
            throw new IllegalArgumentException("the " + kind + " artifact reference names neither a bundle nor a sha256");
        }
        synchronized (this) {
            if (!sha256.isBlank()) {
                T hit = loaded.get(sha256);
                if (hit != null) {
                    return hit;
                }
            } else {
                String folder = normalise(bundle);
                for (T a : loaded.values()) {
                    if (a.bundle().equals(folder)) {
                        loaded.get(a.sha256()); // touch: most recently used
                        return a;
                    }
                }
            }
        }
        if (bundle.isBlank()) {
            throw new IllegalArgumentException(kind + " artifact " + sha256 + " is not loaded here and the"
                    + " reference names no bundle to load it from");
        }
        T fresh = loader.apply(bundle, sha256);
        List<T> evicted = new ArrayList<>();
        List<T> duplicates = new ArrayList<>();
        T result;
        synchronized (this) {
            T raced = loaded.putIfAbsent(fresh.sha256(), fresh);
            result = raced != null ? raced : fresh;
            if (raced != null) {
                duplicates.add(fresh); // another call loaded it meanwhile: keep theirs
            }
            var it = loaded.entrySet().iterator();
            while (loaded.size() > maxLoaded && it.hasNext()) {
                var eldest = it.next();
                if (eldest.getValue() != result) {
                    evicted.add(eldest.getValue());
                    it.remove();
                }
            }
        }
        duplicates.forEach(Artifact::close);
        evicted.forEach(a -> {
            onEvicted.accept(a);
            a.close();
        });
        return result;
    }

    /** The artifacts loaded now, most recently used last. */
    public synchronized List<T> loaded() {
        return List.copyOf(loaded.values());
    }

    /**
     * Loads {@code bundles} in the background, one after the other; {@link #ready()} once all are loaded, or
     * {@link #preloadFailure()} says why one could not be.
     *
     * @param onLoaded  told of each preloaded artifact (e.g. to log it)
     * @param onFailure told why preloading stopped, if it did
     */
    public void preload(List<String> bundles, String threadName, Consumer<T> onLoaded,
                        Consumer<RuntimeException> onFailure) {
        Thread t = new Thread(() -> {
            try {
                for (String bundle : bundles) {
                    if (!bundle.isBlank()) {
                        onLoaded.accept(get(bundle.trim(), ""));
                    }
                }
                preloaded.set(true);
            } catch (RuntimeException e) {
                preloadFailure = e.getMessage();
                onFailure.accept(e);
            }
        }, threadName);
        t.setDaemon(true);
        t.start();
    }

    /** Whether every preloaded artifact is loaded (and warm, as the loader leaves them). */
    public boolean ready() {
        return preloaded.get();
    }

    /** Why a preloaded artifact could not be loaded, if one could not. */
    public String preloadFailure() {
        return preloadFailure;
    }

    /** Closes every loaded artifact. */
    public synchronized void closeAll() {
        loaded.values().forEach(Artifact::close);
        loaded.clear();
    }

    /** The form of a bundle folder that artifacts are matched on. */
    public static String normalise(String bundle) {
        return Path.of(bundle).toAbsolutePath().normalize().toString();
    }
}
