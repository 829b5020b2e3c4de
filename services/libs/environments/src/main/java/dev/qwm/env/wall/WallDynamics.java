package dev.qwm.env.wall;

/**
 * DotWall's move-and-collide rule, ported from DINO-WM {@code env/wall/envs/utils.py::check_wall_intersect}
 * with its quirks kept: only the near face of the central wall is tested, a hit puts the dot at the hit point
 * plus a constant (±0.5, ±0.5) offset, then clamps it 0.3 px inside the active limits. No noise.
 *
 * <p>One deliberate difference: DINO-WM computes crossing points from the slope dy/dx, which is NaN for an exactly
 * vertical or horizontal move along a tested line and can leave the dot at NaN. Here such a move uses the
 * start point's coordinate instead; for every other move the arithmetic is the official one.
 */
public final class WallDynamics {

    private WallDynamics() {
    }

    /** The dot's next position from {@code (px, py)} under the raw move to {@code (nx, ny)} (= pos + 2·action). */
    public static double[] resolve(WallLayout layout, double px, double py, double nx, double ny) {
        double left = layout.wallLeft();
        double right = layout.wallRight();
        double doorBottom = layout.doorBottom();
        double doorTop = layout.doorTop();
        double dy = ny - py;

        // 1. door jambs: crossing the door's bottom/top line (in y) between the two faces of the wall
        if (dy > 0 && ny > doorTop && py < doorTop) {
            double x = horizontalCrossingX(px, py, nx, ny, doorTop);
            if (left <= x && x <= right) {
                return new double[] {x + 0.5, doorTop - 0.5};
            }
        }
        if (dy < 0 && ny < doorBottom && py > doorBottom) {
            double x = horizontalCrossingX(px, py, nx, ny, doorBottom);
            if (left <= x && x <= right) {
                return new double[] {x + 0.5, doorBottom + 0.5};
            }
        }

        // 2. active limits: the border on the far side, the wall face (with its door) on the near side
        double leftWall = WallLayout.borderLow();
        double rightWall = WallLayout.borderHigh();
        boolean leftHasDoor = false;
        boolean rightHasDoor = false;
        if (layout.wallX() > px) {
            rightWall = left;   // left room: the wall's left face bounds it on the right
            rightHasDoor = true;
        } else {
            leftWall = right;   // right room (or the door's right half): the wall's right face
            leftHasDoor = true;
        }
        double topWall = WallLayout.borderLow();
        double bottomWall = WallLayout.borderHigh();

        // 3. crossing tests: left then right face, top then bottom border
        double[] vertical = verticalHit(layout, px, py, nx, ny, leftWall, leftHasDoor);
        if (vertical == null) {
            vertical = verticalHit(layout, px, py, nx, ny, rightWall, rightHasDoor);
        }
        double[] horizontal = horizontalHit(px, py, nx, ny, topWall);
        if (horizontal == null) {
            horizontal = horizontalHit(px, py, nx, ny, bottomWall);
        }

        // 4. the nearer hit wins; constant offsets back towards the start side
        double[] hit;
        double offX;
        double offY;
        if (vertical != null && horizontal != null) {
            if (Math.hypot(px - vertical[0], py - vertical[1]) < Math.hypot(px - horizontal[0], py - horizontal[1])) {
                hit = vertical;
                offX = 0.5 * Math.signum(px - vertical[0]);
                offY = 0.5;
            } else {
                hit = horizontal;
                offX = 0.5;
                offY = 0.5 * Math.signum(py - horizontal[1]);
            }
        } else if (vertical != null) {
            hit = vertical;
            offX = 0.5 * Math.signum(px - vertical[0]);
            offY = 0.5;
        } else if (horizontal != null) {
            hit = horizontal;
            offX = 0.5;
            offY = 0.5 * Math.signum(py - horizontal[1]);
        } else {
            return new double[] {nx, ny};
        }

        // 5. clamp to the limits, then keep 0.3 px off any limit reached
        double x = clamp(hit[0] + offX, leftWall, rightWall);
        double y = clamp(hit[1] + offY, topWall, bottomWall);
        if (x <= leftWall) {
            x = leftWall + 0.3;
        }
        if (x >= rightWall) {
            x = rightWall - 0.3;
        }
        if (y <= topWall) {
            y = topWall + 0.3;
        }
        if (y >= bottomWall) {
            y = bottomWall - 0.3;
        }
        return new double[] {x, y};
    }

    private static double[] verticalHit(WallLayout layout, double px, double py, double nx, double ny,
                                        double wallX, boolean hasDoor) {
        if (Math.signum(px - wallX) * Math.signum(nx - wallX) > 0) {
            return null;
        }
        double dx = nx - px;
        double y;
        if (dx == 0) {
            y = py;
        } else {
            double a = (ny - py) / dx;
            double b = py - a * px;
            y = a * wallX + b;
        }
        if (!hasDoor || y < layout.doorBottom() || y > layout.doorTop()) {
            return new double[] {wallX, y};
        }
        return null; // through the door
    }

    private static double[] horizontalHit(double px, double py, double nx, double ny, double wallY) {
        if (Math.signum(py - wallY) * Math.signum(ny - wallY) > 0) {
            return null;
        }
        return new double[] {horizontalCrossingX(px, py, nx, ny, wallY), wallY};
    }

    /** x where the move's line meets y = wallY, with DINO-WM's slope arithmetic. */
    private static double horizontalCrossingX(double px, double py, double nx, double ny, double wallY) {
        double dx = nx - px;
        double dy = ny - py;
        if (dx == 0 || dy == 0) {
            return px;
        }
        double a = dy / dx;
        double b = py - a * px;
        return (wallY - b) / a;
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
