package dev.qwm.env.random;

import org.apache.commons.math3.random.MersenneTwister;

/**
 * numpy's legacy {@code np.random.RandomState}: the same MT19937 stream and the same conversions, so that
 * {@code new NumpyRandomState(seed).uniform(a, b)} returns exactly what {@code RandomState(seed).uniform(a, b)}
 * returns in Python. DINO-WM draws its evaluation start/goal states this way ({@code generate_random_state}),
 * and PushT's random reset too; reproducing the stream gives the very same evaluation episodes.
 *
 * <p>Seeding follows numpy: an integer seed in [0, 2^32) uses MT's {@code init_genrand}; an int array uses
 * {@code init_by_array}. Not thread-safe.
 */
public final class NumpyRandomState {

    private final MersenneTwister twister;
    // legacy_gauss caches the second polar-method deviate
    private boolean hasGauss;
    private double gauss;

    /** {@code np.random.RandomState(seed)} for 0 ≤ seed < 2^32. */
    public NumpyRandomState(long seed) {
        if (seed < 0 || seed > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("seed must be between 0 and 2^32 - 1, got " + seed);
        }
        this.twister = new MersenneTwister((int) seed);
    }

    /** {@code np.random.RandomState(np.array(key, dtype=uint32))}: one stream per key (e.g. {dataset seed, episode}). */
    public NumpyRandomState(int[] key) {
        if (key.length == 0) {
            throw new IllegalArgumentException("seed key must not be empty");
        }
        this.twister = new MersenneTwister(key);
    }

    /** One raw 32-bit MT output, as an unsigned value. */
    public long nextUint32() {
        return twister.nextInt() & 0xFFFF_FFFFL;
    }

    /** {@code random_sample()}: 53-bit double in [0, 1). */
    public double randomSample() {
        long a = nextUint32() >>> 5;
        long b = nextUint32() >>> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    /** {@code uniform(low, high)}. */
    public double uniform(double low, double high) {
        return low + (high - low) * randomSample();
    }

    /** {@code randint(low, high)} for the default int64 dtype: masked rejection sampling on 32-bit draws. */
    public long randint(long low, long high) {
        if (high <= low) {
            throw new IllegalArgumentException("randint needs low < high, got [" + low + ", " + high + ")");
        }
        long range = high - 1 - low;
        if (range == 0) {
            return low;
        }
        if (range > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("randint range above 2^32 is not supported: " + range);
        }
        long mask = range;
        mask |= mask >>> 1;
        mask |= mask >>> 2;
        mask |= mask >>> 4;
        mask |= mask >>> 8;
        mask |= mask >>> 16;
        long value;
        do {
            value = nextUint32() & mask;
        } while (value > range);
        return low + value;
    }

    /** {@code randn()} / {@code standard_normal()}: the legacy polar Box-Muller with its cached deviate. */
    public double standardNormal() {
        if (hasGauss) {
            hasGauss = false;
            return gauss;
        }
        double x1;
        double x2;
        double r2;
        do {
            x1 = 2.0 * randomSample() - 1.0;
            x2 = 2.0 * randomSample() - 1.0;
            r2 = x1 * x1 + x2 * x2;
        } while (r2 >= 1.0 || r2 == 0.0);
        double f = Math.sqrt(-2.0 * Math.log(r2) / r2);
        gauss = f * x1;
        hasGauss = true;
        return f * x2;
    }

    /** {@code normal(loc, scale)}. */
    public double normal(double loc, double scale) {
        return loc + scale * standardNormal();
    }

    /**
     * {@code vonmises(mu, kappa)}: numpy's legacy algorithm (Best and Fisher, 1979), result in [-π, π).
     * DINO-WM's wall data generator turns its heading by von Mises noise of concentration 1/0.2.
     */
    public double vonMises(double mu, double kappa) {
        if (kappa < 0) {
            throw new IllegalArgumentException("kappa must be >= 0, got " + kappa);
        }
        if (kappa < 1e-8) {
            return Math.PI * (2 * randomSample() - 1);
        }
        double s;
        if (kappa < 1e-5) {
            s = 1.0 / kappa + kappa;
        } else if (kappa <= 1e6) {
            double r = 1 + Math.sqrt(1 + 4 * kappa * kappa);
            double rho = (r - Math.sqrt(2 * r)) / (2 * kappa);
            s = (1 + rho * rho) / (2 * rho);
        } else {
            double result = mu + Math.sqrt(1.0 / kappa) * standardNormal();
            if (result < -Math.PI) {
                result += 2 * Math.PI;
            }
            if (result > Math.PI) {
                result -= 2 * Math.PI;
            }
            return result;
        }
        double w;
        while (true) {
            double u = randomSample();
            double z = Math.cos(Math.PI * u);
            w = (1 + s * z) / (s + z);
            double y = kappa * (s - w);
            double v = randomSample();
            if ((y * (2 - y) - v >= 0) || (Math.log(y / v) + 1 - y >= 0)) {
                break;
            }
        }
        double u = randomSample();
        double result = Math.acos(w);
        if (u < 0.5) {
            result = -result;
        }
        result += mu;
        boolean negative = result < 0;
        double mod = Math.abs(result);
        mod = ((mod + Math.PI) % (2 * Math.PI)) - Math.PI;
        return negative ? -mod : mod;
    }
}
