package dev.qwm.infra;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Loopback port helpers: everything qwm starts locally binds 127.0.0.1. */
public final class Ports {

    private Ports() {
    }

    /** A port that was free a moment ago (the caller binds it soon after). */
    public static int free() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free loopback port", e);
        }
    }

    /** Whether something accepts connections on 127.0.0.1:{@code port}. */
    public static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void requireFree(int port, String what) {
        if (listening(port)) {
            throw new IllegalStateException(what + " " + port + " is already in use on 127.0.0.1"
                    + " (another qwm infrastructure, or another program): stop it or choose another port");
        }
    }
}
