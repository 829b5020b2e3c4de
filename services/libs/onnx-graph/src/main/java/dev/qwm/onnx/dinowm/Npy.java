package dev.qwm.onnx.dinowm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A float32 array in NumPy's {@code .npy} format (what {@code numpy.save} writes), C order only: the format reference
 * vectors come in, since a user's PyTorch writes it with no extra package.
 */
public record Npy(long[] shape, float[] data) {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    public Npy {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, not "
                    + data.length);
        }
    }

    public static Npy read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new IllegalArgumentException(file + ": not a .npy file (numpy.save writes them)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int major = bytes[6];
        int headerLen = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : b.getInt(8);
        int start = major == 1 ? 10 : 12;
        String header = new String(bytes, start, headerLen, StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shape = SHAPE.matcher(header);
        if (!descr.find() || !fortran.find() || !shape.find()) {
            throw new IllegalArgumentException(file + ": unreadable .npy header " + header.trim());
        }
        if (!descr.group(1).equals("<f4")) {
            throw new IllegalArgumentException(file + ": dtype " + descr.group(1) + ", expected float32 ('<f4')");
        }
        if (fortran.group(1).equals("True")) {
            throw new IllegalArgumentException(file + ": Fortran order; save a C-ordered array (np.ascontiguousarray)");
        }
        long[] dims = Arrays.stream(shape.group(1).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .mapToLong(Long::parseLong).toArray();
        long n = Arrays.stream(dims).reduce(1, (x, y) -> x * y);
        int offset = start + headerLen;
        if (bytes.length - offset != n * 4) {
            throw new IllegalArgumentException(file + ": shape " + Arrays.toString(dims) + " needs " + n * 4
                    + " bytes of data, the file has " + (bytes.length - offset));
        }
        float[] data = new float[(int) n];
        b.position(offset);
        b.asFloatBuffer().get(data);
        return new Npy(dims, data);
    }

    /** Writes the array as numpy.save would (format 1.0). */
    public void write(Path file) {
        StringBuilder dims = new StringBuilder();
        for (long d : shape) {
            dims.append(d).append(", ");
        }
        String shapeText = shape.length == 1 ? shape[0] + "," : dims.substring(0, Math.max(0, dims.length() - 2));
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shapeText + "), }";
        int pad = 64 - (10 + header.length() + 1) % 64;
        header = header + " ".repeat(pad % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1));
        b.asFloatBuffer().put(data);
        try {
            Files.write(file, b.array());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
