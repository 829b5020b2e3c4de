import dev.qwm.env.dataset.Episode;
import dev.qwm.env.pusht.PushTEnvironment;
import dev.qwm.env.pusht.PushTEpisodeGenerator;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.Arrays;

/**
 * Companion of pusht_chipmunk.c (run with the java source launcher, see run.sh).
 * {@code episode SEED INDEX}: prints a generated episode's first state and its actions, in the replica's input format.
 * {@code replay}: reads that format from stdin and prints the dyn4j port's 7-D state after the reset and each step.
 */
public class PushTReplay {
    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("episode")) {
            Episode e = new PushTEpisodeGenerator(Long.parseLong(args[1])).generate(Integer.parseInt(args[2]), 100, 8);
            StringBuilder sb = new StringBuilder();
            for (double v : e.state(0)) {
                sb.append(v).append(' ');
            }
            sb.append('\n');
            for (int t = 0; t < e.steps(); t++) {
                sb.append(e.action(t)[0]).append(' ').append(e.action(t)[1]).append('\n');
            }
            System.out.print(sb);
            return;
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        PushTEnvironment env = new PushTEnvironment();
        env.reset(parse(in.readLine()));
        for (String line = ""; line != null; line = in.readLine()) {
            if (!line.isBlank()) {
                env.step(parse(line));
            }
            double[] s = env.state();
            System.out.printf("%.9f %.9f %.9f %.9f %.9f %.9f %.9f%n", s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
        }
    }

    private static double[] parse(String line) {
        return Arrays.stream(line.trim().split("\\s+")).mapToDouble(Double::parseDouble).toArray();
    }
}
