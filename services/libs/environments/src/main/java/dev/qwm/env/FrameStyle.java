package dev.qwm.env;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How an environment draws its frames, so that a world model plans on the frames it was trained on. A bundle names
 * its style in {@code model.json} ({@code frameStyle}); one without the field was trained here, on {@link #QWM}.
 *
 * <p>Wall draws the same frames in both styles: qwm's Wall frames are DINO-WM's ({@code DotWall}'s 65-px grid,
 * resized bilinearly). PushT differs: {@link #QWM} draws with Java2D directly at the requested size, antialiased
 * (what the shipped PushT models were trained on); {@link #DINOWM} draws as DINO-WM's {@code PushTEnv._render_frame}
 * does, aliased with pygame's algorithms on the 512-px window, then shrinks with OpenCV's {@code INTER_LINEAR}.
 */
public enum FrameStyle {
    /** qwm's own frames: every bundle trained here, and every manifest without the field. */
    QWM,
    /** DINO-WM's renderers' frames: bundles imported from DINO-WM checkpoints. */
    DINOWM;

    /** The name in {@code model.json} and on the command line. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The style named {@code name} (its {@link #cliName()}, any case), if there is one. */
    public static Optional<FrameStyle> find(String name) {
        return Arrays.stream(values()).filter(s -> s.cliName().equalsIgnoreCase(name == null ? "" : name.trim()))
                .findFirst();
    }

    /** The style named {@code name}; refused by name if there is none. */
    public static FrameStyle parse(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("unknown frame style '" + name
                + "' (expected " + Arrays.stream(values()).map(FrameStyle::cliName).collect(Collectors.joining(" or "))
                + ")"));
    }
}
