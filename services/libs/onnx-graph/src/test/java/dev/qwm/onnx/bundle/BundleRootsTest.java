package dev.qwm.onnx.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleRootsTest {

    @Test
    void aBundleOutsideTheRootsIsRefusedLikeOneThatDoesNotExist(@TempDir Path tmp) throws Exception {
        Path store = Files.createDirectories(tmp.resolve("store"));
        Path inside = ModelBundleTest.writeTiny(store.resolve("wall")).directory();
        Path outside = ModelBundleTest.writeTiny(tmp.resolve("elsewhere")).directory();
        BundleRoots roots = BundleRoots.parse(store + ", " + tmp.resolve("not-yet"));

        assertEquals(inside.toRealPath(), roots.resolve(inside.toString(), "bundle"));
        String elsewhere = assertThrows(IllegalArgumentException.class, () -> roots.resolve(outside.toString(), "bundle")).getMessage();
        String missing = assertThrows(IllegalArgumentException.class, () -> roots.resolve(store.resolve("nope").toString(), "bundle")).getMessage();
        assertEquals("bundle " + outside + ": not found or not allowed", elsewhere);
        assertEquals("bundle " + store.resolve("nope") + ": not found or not allowed", missing);
        // lexically inside, really outside: a symlink in the store, and ../ out of it
        Path link = Files.createSymbolicLink(store.resolve("link"), outside);
        assertThrows(IllegalArgumentException.class, () -> roots.resolve(link.toString(), "bundle"));
        assertThrows(IllegalArgumentException.class, () -> roots.resolve(store + "/../elsewhere", "bundle"));
        assertEquals(outside.toRealPath(), BundleRoots.parse("*").resolve(outside.toString(), "bundle"));
    }

    @Test
    void aComponentFileThatIsASymlinkOutOfItsBundleIsRefused(@TempDir Path tmp) throws Exception {
        Path dir = ModelBundleTest.writeTiny(tmp.resolve("wall")).directory();
        Path secret = Files.writeString(tmp.resolve("secret.onnx"), "not yours");
        Files.move(dir.resolve("predictor.onnx"), tmp.resolve("moved.onnx"));
        Files.createSymbolicLink(dir.resolve("predictor.onnx"), secret);
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.read(dir));
        assertEquals(true, e.getMessage().contains("is not inside the bundle folder"), e.getMessage());
    }
}
