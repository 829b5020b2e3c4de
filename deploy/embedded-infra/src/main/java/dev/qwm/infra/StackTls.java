package dev.qwm.infra;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS and a bearer token for a local stack: a CA of its own, a server certificate it signed for {@code localhost}
 * and {@code 127.0.0.1}, and a random token, in one folder laid out as a Kubernetes TLS secret is ({@code ca.crt},
 * {@code tls.crt}, {@code tls.key}) plus {@code token}. Made once with the JDK's {@code keytool}, kept, and given
 * to every service of the stack (the same certificate and token for all: they run on one machine, as one user).
 */
public final class StackTls {

    public static final String CA = "ca.crt";
    public static final String CERTIFICATE = "tls.crt";
    public static final String KEY = "tls.key";
    public static final String TOKEN = "token";

    private final Path dir;

    private StackTls(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** The folder's credentials if it holds all four files. */
    public static java.util.Optional<StackTls> load(Path dir) {
        for (String f : List.of(CA, CERTIFICATE, KEY, TOKEN)) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                return java.util.Optional.empty();
            }
        }
        return java.util.Optional.of(new StackTls(dir));
    }

    /** The folder's credentials, made first if it does not hold them (a half-made folder is never left behind). */
    public static StackTls createOrLoad(Path dir) {
        var existing = load(dir);
        if (existing.isPresent()) {
            return existing.get();
        }
        if (Files.exists(dir)) {
            throw new IllegalStateException(dir + " exists but does not hold " + CA + ", " + CERTIFICATE + ", " + KEY
                    + " and " + TOKEN + ": remove it to have new ones made");
        }
        Path staging = dir.resolveSibling("." + dir.getFileName() + ".staging");
        try {
            deleteTree(staging);
            Files.createDirectories(staging, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            generate(staging);
            Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the stack's TLS credentials in " + dir, e);
        }
        return new StackTls(dir);
    }

    public Path directory() {
        return dir;
    }

    public Path caCertificate() {
        return dir.resolve(CA);
    }

    public Path certificate() {
        return dir.resolve(CERTIFICATE);
    }

    public Path privateKey() {
        return dir.resolve(KEY);
    }

    public String token() {
        try {
            return Files.readString(dir.resolve(TOKEN)).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * With {@link #serviceProperties()}, the environment that makes a service serve HTTPS only (its gRPC too) on
     * {@code port} with this certificate, require the token, and call other qwm services over TLS trusting this CA
     * with the token.
     */
    public Map<String, String> serviceEnvironment(int port) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("QUARKUS_HTTP_SSL_PORT", Integer.toString(port));
        env.put("QUARKUS_HTTP_INSECURE_REQUESTS", "disabled");
        env.put("QWM_TLS_CA", caCertificate().toString());
        env.put("QWM_AUTH_TOKEN", token());
        return env;
    }

    /**
     * The certificate and key as Quarkus' TLS registry reads them (its default configuration). System properties,
     * not environment variables: the {@code 0} is a map key, which an environment variable's name cannot carry.
     */
    public Map<String, String> serviceProperties() {
        return Map.of("quarkus.tls.key-store.pem.0.cert", certificate().toString(),
                "quarkus.tls.key-store.pem.0.key", privateKey().toString());
    }

    /** An SSL context that trusts this stack's CA and nothing else. */
    public SSLContext sslContext() {
        return trusting(caCertificate());
    }

    /** An SSL context that trusts the CA certificates (PEM) in {@code caPem} and nothing else. */
    public static SSLContext trusting(Path caPem) {
        try (InputStream in = Files.newInputStream(caPem)) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) {
                throw new IllegalArgumentException(caPem + " holds no PEM certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            return ssl;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CA certificate " + caPem, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot trust the CA certificate " + caPem + ": " + e.getMessage(), e);
        }
    }

    private static void generate(Path dir) throws IOException {
        char[] password = HexFormat.of().formatHex(random(16)).toCharArray();
        String pass = new String(password);
        Path ca = dir.resolve("ca.p12");
        Path server = dir.resolve("server.p12");
        keytool(dir, "-genkeypair", "-keystore", ca.toString(), "-storetype", "PKCS12", "-storepass", pass,
                "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=qwm local stack CA",
                "-ext", "bc:c", "-validity", "3650");
        keytool(dir, "-exportcert", "-keystore", ca.toString(), "-storepass", pass, "-alias", "ca", "-rfc",
                "-file", dir.resolve(CA).toString());
        keytool(dir, "-genkeypair", "-keystore", server.toString(), "-storetype", "PKCS12", "-storepass", pass,
                "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost", "-validity", "825");
        keytool(dir, "-certreq", "-keystore", server.toString(), "-storepass", pass, "-alias", "server",
                "-file", dir.resolve("server.csr").toString());
        keytool(dir, "-gencert", "-keystore", ca.toString(), "-storepass", pass, "-alias", "ca", "-rfc",
                "-infile", dir.resolve("server.csr").toString(), "-outfile", dir.resolve("leaf.crt").toString(),
                "-ext", "san=dns:localhost,ip:127.0.0.1", "-ext", "eku=serverAuth", "-ext", "ku:c=digitalSignature,keyEncipherment",
                "-validity", "825");
        try (InputStream in = Files.newInputStream(server)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            PrivateKey key = (PrivateKey) ks.getKey("server", password);
            writePrivate(dir.resolve(KEY), pem("PRIVATE KEY", key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the key keytool made: " + e.getMessage(), e);
        }
        // the chain a client is shown: the server's certificate, then the CA's
        Files.writeString(dir.resolve(CERTIFICATE), Files.readString(dir.resolve("leaf.crt")).trim() + "\n"
                + Files.readString(dir.resolve(CA)).trim() + "\n");
        writePrivate(dir.resolve(TOKEN), HexFormat.of().formatHex(random(32)) + "\n");
        for (String f : List.of("ca.p12", "server.p12", "server.csr", "leaf.crt")) {
            Files.delete(dir.resolve(f));
        }
    }

    private static void keytool(Path dir, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Path log = dir.resolve("keytool.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("keytool " + args[0] + " did not finish within 120 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
        String output = Files.readString(log);
        Files.delete(log);
        if (p.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed (exit " + p.exitValue() + "): " + output.trim());
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void writePrivate(Path file, String content) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content);
    }

    private static byte[] random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
