import dev.qwm.env.Environment;
import dev.qwm.env.FrameStyle;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.registry.Environments;
import dev.qwm.env.dataset.*;
import dev.qwm.env.random.NumpyRandomState;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.*;
import dev.qwm.planning.onnx.OnnxWorldModel;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.*;

/**
 * How well a PushT bundle's predictor ranks CEM's candidates (the numbers in the training README's PushT section).
 * For each of the first N evaluation episodes (seeds 99n+1, goals as {@code DatasetSegmentGoals}), 300 candidates of
 * horizon 5 (150 of CEM's initial N(0, 1) draws, 150 of the segment's own actions + N(0, 0.5²)) are rolled out by the
 * predictor and by the simulator + the bundle's encoder; it prints the predictor's latent error against copy-start,
 * the Spearman correlation of predicted and true losses (alpha 1 and visual only), and whether the predicted best
 * candidate really succeeds. Run from the repository root after {@code ./qwm} has built the CLI:
 * {@code java -cp "services/cli/target/qwm-cli.jar:services/cli/target/lib/*"
 * services/libs/planning/tools/candidate-ranking/RankProbe.java models/pusht 10 [.qwm/data/pusht]}
 */
public class RankProbe {
    public static void main(String[] args) throws Exception {
        ModelBundle bundle = ModelBundle.read(Path.of(args[0]));
        int episodes = Integer.parseInt(args[1]);
        Path data = Path.of(args.length > 2 ? args[2] : ".qwm/data/pusht");
        OnnxWorldModel m = OnnxWorldModel.open(bundle, SessionConfig.ofThreads(1));
        List<Episode> eps = new ArrayList<>();
        for (Episode e : DatasetReader.open(data).readAll(Split.VALIDATION, false)) if (e.steps() >= 25) eps.add(e);
        Environment env = Environments.create(EnvironmentKind.PUSHT, FrameStyle.QWM);
        ActionNormalization n = m.actionNormalization();
        int H = 5, K = 300, size = m.imageSize(), A = m.actionDim();
        Objective obj = new Objective(1.0), obj0 = new Objective(0.0);
        double sRho = 0, sRho0 = 0, predR = 0, copyR = 0, predD = 0, copyD = 0, hitBest = 0, hitBest0 = 0, anyHit = 0, regret = 0;
        Random rng = new Random(7);
        for (int i = 0; i < episodes; i++) {
            NumpyRandomState rs = new NumpyRandomState(99L * i + 1);
            Episode e = eps.get((int) rs.randint(0, eps.size()));
            int off = (int) rs.randint(0, e.steps() - 25 + 1);
            double[] start = e.state(off);
            env.reset(start);
            double[][] demo = new double[25][];
            for (int t = 0; t < 25; t++) { demo[t] = e.action(off + t); env.step(demo[t]); }
            double[] goalState = env.state();
            float[] demoNorm = new float[H * A];
            for (int t = 0; t < H; t++) {
                float[] mac = n.normalize(Arrays.copyOfRange(demo, t * 5, t * 5 + 5));
                System.arraycopy(mac, 0, demoNorm, t * A, A);
            }
            float[] acts = new float[K * H * A];
            for (int k = 0; k < K; k++)
                for (int j = 0; j < H * A; j++)
                    acts[k * H * A + j] = k < K / 2 ? (float) rng.nextGaussian() : demoNorm[j] + 0.5f * (float) rng.nextGaussian();
            ActionBatch batch = new ActionBatch(K, H, A, acts);
            Latent s0 = m.encode(new Observation(env.render(start, size), size, env.proprioOf(start), start));
            Latent goal = m.encode(new Observation(env.render(goalState, size), size, env.proprioOf(goalState), goalState));
            Latent[] pred = m.rollout(s0, batch);
            ByteBuffer buf = ByteBuffer.allocateDirect(K * size * size * 3);
            double[][] fin = new double[K][];
            boolean[] ok = new boolean[K];
            for (int k = 0; k < K; k++) {
                env.reset(start);
                for (int t = 0; t < H; t++) for (double[] a : n.toEnvActions(acts, batch.offset(k, t))) env.step(a);
                fin[k] = env.state();
                ok[k] = env.isSuccess(goalState);
                buf.put(env.render(fin[k], size));
            }
            buf.flip();
            float[] z = m.visualEncoder().encode(buf, K);
            int per = z.length / K;
            double[] lp = new double[K], lt = new double[K], lp0 = new double[K], lt0 = new double[K];
            for (int k = 0; k < K; k++) {
                Latent t = new Latent(Arrays.copyOfRange(z, k * per, (k + 1) * per), m.dynamics().embedProprio(env.proprioOf(fin[k])));
                lp[k] = obj.loss(pred[k], goal); lt[k] = obj.loss(t, goal);
                lp0[k] = obj0.loss(pred[k], goal); lt0[k] = obj0.loss(t, goal);
                double ep = mse(pred[k].visual(), t.visual()), ec = mse(s0.visual(), t.visual());
                if (k < K / 2) { predR += ep; copyR += ec; } else { predD += ep; copyD += ec; }
            }
            double rho = spearman(lp, lt), rho0 = spearman(lp0, lt0);
            sRho += rho; sRho0 += rho0;
            int bp = argmin(lp), bp0 = argmin(lp0), bt = argmin(lt);
            boolean any = false; for (boolean b : ok) any |= b;
            if (ok[bp]) hitBest++; if (ok[bp0]) hitBest0++; if (any) anyHit++;
            regret += lt[bp] - lt[bt];
            System.out.printf("ep %2d rho %.3f rho0 %.3f  bestPred ok %s (a0 %s) any ok %s  trueLoss(bestPred) %.3f min %.3f%n", i, rho, rho0, ok[bp], ok[bp0], any, lt[bp], lt[bt]);
        }
        int h = episodes * K / 2;
        System.out.printf("%s: mean rho %.3f (alpha0 %.3f); visual MSE pred/copy random %.4f/%.4f (%.2fx) demo %.4f/%.4f (%.2fx); best-pred succeeds %d/%d (alpha0 %d), any candidate %d; mean regret %.3f%n",
            args[0], sRho / episodes, sRho0 / episodes, predR / h, copyR / h, copyR / predR, predD / h, copyD / h, copyD / predD, (int) hitBest, episodes, (int) hitBest0, (int) anyHit, regret / episodes);
    }
    static double mse(float[] a, float[] b) { double s = 0; for (int i = 0; i < a.length; i++) { double d = a[i] - b[i]; s += d * d; } return s / a.length; }
    static int argmin(double[] v) { int b = 0; for (int i = 1; i < v.length; i++) if (v[i] < v[b]) b = i; return b; }
    static double[] ranks(double[] v) { Integer[] idx = new Integer[v.length]; for (int i = 0; i < v.length; i++) idx[i] = i; Arrays.sort(idx, Comparator.comparingDouble(i -> v[i])); double[] r = new double[v.length]; for (int i = 0; i < v.length; i++) r[idx[i]] = i; return r; }
    static double spearman(double[] a, double[] b) { double[] ra = ranks(a), rb = ranks(b); double ma = 0, mb = 0; for (int i = 0; i < a.length; i++) { ma += ra[i]; mb += rb[i]; } ma /= a.length; mb /= a.length; double sab = 0, saa = 0, sbb = 0; for (int i = 0; i < a.length; i++) { sab += (ra[i] - ma) * (rb[i] - mb); saa += (ra[i] - ma) * (ra[i] - ma); sbb += (rb[i] - mb) * (rb[i] - mb); } return sab / Math.sqrt(saa * sbb); }
}
