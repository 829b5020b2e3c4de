package dev.qwm.env.wall;

/**
 * DotWall's arena on its 65×65 pixel grid (DINO-WM {@code env/wall}, {@code DEFAULT_CFG}): border lines at
 * x, y = 4 and 60, a vertical wall filling columns {@code wallX ± 3} and a door of rows {@code doorY ± 4}.
 * Coordinates are pixel centres, x = column, y = row (y points down).
 *
 * @param wallX central wall column (DINO-WM's fix_wall_location, 32)
 * @param doorY door centre row (fix_door_location, 30)
 */
public record WallLayout(int wallX, int doorY) {

    /** The layout DINO-WM evaluates on (fix_wall = True). */
    public static final WallLayout DEFAULT = new WallLayout(32, 30);

    public static final int GRID = 65;
    public static final double DOT_STD = 1.7;
    public static final int BORDER_WALL_LOC = 5;
    public static final int WALL_WIDTH = 6;
    public static final int DOOR_SPACE = 4;
    /** 2·dot_std: margin that keeps a sampled dot off the walls. */
    public static final double PADDING = 2 * DOT_STD;
    /** border_wall_loc − 1 + padding = 7.4. */
    public static final double BORDER_PADDING = BORDER_WALL_LOC - 1 + PADDING;

    public WallLayout {
        int half = WALL_WIDTH / 2;
        if (wallX - half <= BORDER_WALL_LOC || wallX + half >= GRID - BORDER_WALL_LOC) {
            throw new IllegalArgumentException("wall column " + wallX + " leaves no room inside the 65-px arena");
        }
        if (doorY - DOOR_SPACE <= BORDER_WALL_LOC - 1 || doorY + DOOR_SPACE >= GRID - BORDER_WALL_LOC) {
            throw new IllegalArgumentException("door row " + doorY + " does not fit between the border walls");
        }
    }

    /** Left face of the central wall (x = wallX − 3). */
    public int wallLeft() {
        return wallX - WALL_WIDTH / 2;
    }

    /** Right face of the central wall (x = wallX + 3). */
    public int wallRight() {
        return wallX + WALL_WIDTH / 2;
    }

    public int doorBottom() {
        return doorY - DOOR_SPACE;
    }

    public int doorTop() {
        return doorY + DOOR_SPACE;
    }

    /** Border line positions: 4 (top/left) and 60 (bottom/right). */
    public static int borderLow() {
        return BORDER_WALL_LOC - 1;
    }

    public static int borderHigh() {
        return GRID - BORDER_WALL_LOC;
    }

    /** Whether grid pixel (row, col) is wall (black): central wall outside the door, or a border line. */
    public boolean isWallPixel(int row, int col) {
        if (col == borderLow() || col == borderHigh() || row == borderLow() || row == borderHigh()) {
            return true;
        }
        boolean inWallColumns = col >= wallLeft() && col <= wallRight();
        boolean inDoorRows = row >= doorBottom() && row <= doorTop();
        return inWallColumns && !inDoorRows;
    }

    /** Which room a point is in: −1 left of the wall centre, +1 right (a dot in the door counts by its x). */
    public int side(double x) {
        return x < wallX ? -1 : 1;
    }
}
