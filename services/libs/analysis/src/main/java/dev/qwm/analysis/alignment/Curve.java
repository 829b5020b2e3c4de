package dev.qwm.analysis.alignment;

/**
 * Success, plan loss and state distance against an optimisation axis (MPC iteration or CEM step), x = 0..K.
 *
 * @param relativeLoss mean best plan loss at x divided by the mean at x = 0 (NaN where no trace has the point)
 * @param samples      how many (episode or episode × iteration) values each point averages
 */
public record Curve(String axis, double[] success, double[] relativeLoss, double[] stateDistance, int[] samples) {

    public Curve {
        if (success.length != relativeLoss.length || success.length != stateDistance.length
                || success.length != samples.length) {
            throw new IllegalArgumentException("curve arrays differ in length");
        }
    }

    public int length() {
        return success.length;
    }

    public boolean hasLoss() {
        for (double v : relativeLoss) {
            if (!Double.isNaN(v)) {
                return true;
            }
        }
        return false;
    }

    public double lastSuccess() {
        return success.length == 0 ? Double.NaN : success[success.length - 1];
    }
}
