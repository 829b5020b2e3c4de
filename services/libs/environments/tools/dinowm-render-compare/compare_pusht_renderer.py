#!/usr/bin/env python3
"""qwm's PushT frames against DINO-WM's own drawing code, pixel by pixel, on the same states.

DINO-WM draws PushT in env/pusht/pusht_env.py: PushTEnv._render_frame fills a 512x512 pygame surface white, fills
the goal T (LightGreen) with pygame.draw.polygon, lets pymunk's Space.debug_draw call its DrawOptions for every
shape, and shrinks the surface to 224x224 with cv2.resize (bilinear). Debian packages no pymunk, so this script takes
DINO-WM's DrawOptions class and its helpers (to_pygame, light_color) out of the file as they are (parsed, so that
gym, pymunk, shapely and the rest of the module's imports are not needed), and plays pymunk's part itself: the
shapes' world vertices from the body pose (position + rotation of the local vertices, as Body.local_to_world), the
colours as pymunk 6.8.0 (DINO-WM's environment.yaml) hands them to DrawOptions (SpaceDebugColor of shape.color,
rounded by as_int), and Chipmunk's order: dynamic shapes (block, then agent), then the static walls.

The order of the block and the agent is not fixed in DINO-WM: Chipmunk iterates a hash set keyed by shape ids that
a process keeps counting across resets. It matters only where the agent overlaps the block's outline, so the states
compared here are start states, where they are apart. Contact markers (pymunk's red collision points) are not drawn
by either side's start frames: there are no contacts before the first push.

Needs Debian's python3-pygame, python3-opencv and python3-pil.

    python3 services/libs/environments/tools/dinowm-render-compare/compare_pusht_renderer.py --dino-wm ~/dino_wm \\
        --qwm . --states 8 --frame-style dinowm --out /tmp/pusht-compare
"""
import argparse
import ast
import math
import os
import re
import subprocess
import sys
import types
import typing

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pygame  # noqa: E402
from PIL import Image  # noqa: E402

WINDOW, RENDER = 512, 224
# PushTEnv._setup and add_tee (which fixes scale=30 whatever it is passed)
SCALE, LENGTH = 30, 4
# add_tee's vertices in the order pymunk's get_vertices returns them: Chipmunk's convex hull, counter-clockwise from
# the lowest-x, lowest-y vertex (Chipmunk 7.0.3's cpPolyShapeNew, checked with Debian's libchipmunk7). The order
# matters to draw_fat_segment, whose pixels depend on a segment's direction.
BAR = [(-LENGTH * SCALE / 2, 0), (LENGTH * SCALE / 2, 0), (LENGTH * SCALE / 2, SCALE), (-LENGTH * SCALE / 2, SCALE)]
STEM = [(-SCALE / 2, SCALE), (SCALE / 2, SCALE), (SCALE / 2, LENGTH * SCALE), (-SCALE / 2, LENGTH * SCALE)]
WALLS = [((5, 506), (5, 5)), ((5, 5), (506, 5)), ((506, 5), (506, 506)), ((5, 506), (506, 506))]
WALL_RADIUS, AGENT_RADIUS = 2, 15
GOAL_POSE = (256.0, 256.0, math.pi / 4)


class SpaceDebugColor(typing.NamedTuple):
    """pymunk 6.8.0's colour tuple: floats, as_int rounds."""
    r: float
    g: float
    b: float
    a: float = 255

    def as_int(self):
        return round(self[0]), round(self[1]), round(self[2]), round(self[3])


class Vec2d(typing.NamedTuple):
    """What DrawOptions.draw_circle uses of pymunk's Vec2d."""
    x: float
    y: float

    def __add__(self, o):
        return Vec2d(self.x + o[0], self.y + o[1])

    def rotated(self, angle):
        c, s = math.cos(angle), math.sin(angle)
        return Vec2d(self.x * c - self.y * s, self.x * s + self.y * c)


def dinowm_draw_options(dino_wm):
    """DINO-WM's DrawOptions class, to_pygame and light_color, compiled from its pusht_env.py."""
    path = os.path.join(dino_wm, "env", "pusht", "pusht_env.py")
    tree = ast.parse(open(path).read())
    wanted = {"DrawOptions", "to_pygame", "light_color"}
    defs = [n for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef)) and n.name in wanted]
    if {n.name for n in defs} != wanted:
        sys.exit("compare_pusht_renderer: %s lacks %s" % (path, wanted - {n.name for n in defs}))
    pymunk = types.SimpleNamespace(SpaceDebugDrawOptions=type("SpaceDebugDrawOptions", (), {}))
    scope = {"pygame": pygame, "np": np, "pymunk": pymunk, "Vec2d": Vec2d, "SpaceDebugColor": SpaceDebugColor,
             "Tuple": typing.Tuple, "Sequence": typing.Sequence, "positive_y_is_up": False}
    exec(compile(ast.Module(body=defs, type_ignores=[]), path, "exec"), scope)
    return scope


def to_world(x, y, angle, local):
    c, s = math.cos(angle), math.sin(angle)
    return [(x + vx * c - vy * s, y + vx * s + vy * c) for vx, vy in local]


def dinowm_frame(scope, state):
    """PushTEnv._render_frame for an agent at state[0:2] and the block at pose state[2:5], as uint8 HWC at 224."""
    canvas = pygame.Surface((WINDOW, WINDOW))
    canvas.fill((255, 255, 255))
    options = scope["DrawOptions"](canvas)
    to_pygame = scope["to_pygame"]
    for part in (BAR, STEM):  # the goal T: with_target=True in conf/env/pusht.yaml
        points = [to_pygame(v, canvas) for v in to_world(*GOAL_POSE, part)]
        pygame.draw.polygon(canvas, pygame.Color("LightGreen"), points + [points[0]])
    block = SpaceDebugColor(*pygame.Color("LightSlateGray"))
    for part in (BAR, STEM):  # Poly shapes: radius 0 (DrawOptions.draw_polygon draws its outline with 2 anyway)
        options.draw_polygon(to_world(state[2], state[3], state[4], part), 0, block, block)
    agent = SpaceDebugColor(*pygame.Color("RoyalBlue"))
    options.draw_circle(Vec2d(state[0], state[1]), 0.0, AGENT_RADIUS, agent, agent)
    wall = SpaceDebugColor(*pygame.Color("LightGray"))
    for a, b in WALLS:
        options.draw_fat_segment(a, b, WALL_RADIUS, wall, wall)
    img = np.transpose(np.array(pygame.surfarray.pixels3d(canvas)), axes=(1, 0, 2))
    return cv2.resize(img, (RENDER, RENDER))


def qwm_frame(qwm, seed, out, style):
    r = subprocess.run([os.path.join(qwm, "qwm"), "env", "render", "--env", "pusht", "--seed", str(seed), "--size",
                        str(RENDER), "--frame-style", style, "--out", out], capture_output=True, text=True, check=True)
    m = re.search(r"start state \[([^\]]+)\]", r.stdout)
    return np.asarray(Image.open(out).convert("RGB")), [float(v) for v in m.group(1).split(",")]


def header(titles, width):
    """A white strip naming each column of the figure, black text centred over each."""
    from PIL import ImageDraw, ImageFont
    strip = Image.new("RGB", (width * len(titles), 24), (255, 255, 255))
    draw = ImageDraw.Draw(strip)
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 14)
    except OSError:
        font = ImageFont.load_default()
    for i, t in enumerate(titles):
        left, top, right, bottom = draw.textbbox((0, 0), t, font=font)
        draw.text((i * width + (width - (right - left)) // 2, (24 - (bottom - top)) // 2 - top), t, fill=(0, 0, 0),
                  font=font)
    return np.asarray(strip)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dino-wm", required=True, help="a checkout of github.com/gaoyuezhou/dino_wm")
    ap.add_argument("--qwm", required=True, help="the qwm repository (its ./qwm)")
    ap.add_argument("--states", type=int, default=8)
    ap.add_argument("--frame-style", default="dinowm", choices=["qwm", "dinowm"],
                    help="qwm's frame style to compare: dinowm (what imported bundles plan on) or qwm (its own models')")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    scope = dinowm_draw_options(args.dino_wm)
    print("%-5s %-36s %-14s %-14s %-10s" % ("seed", "state (agent x, y; block x, y, angle)", "max |diff|",
                                             "mean |diff|", "px > 32"))
    rows, diffs = [], []
    for seed in range(args.states):
        q, state = qwm_frame(args.qwm, seed, os.path.join(args.out, "qwm-%d.png" % seed), args.frame_style)
        d = dinowm_frame(scope, state)
        Image.fromarray(d).save(os.path.join(args.out, "dinowm-%d.png" % seed))
        diff = np.abs(q.astype(np.int32) - d.astype(np.int32))
        diffs.append(diff)
        far = (diff.max(axis=2) > 32).mean()
        print("%-5d %-36s %-14d %-14.3f %.2f%%" % (seed, "(%.0f, %.0f; %.0f, %.0f, %.2f)" % tuple(state[:5]),
                                                   diff.max(), diff.mean(), 100 * far))
        rows.append(np.concatenate([d, q, np.clip(diff * 4, 0, 255).astype(np.uint8)], axis=1))
    all_diff = np.stack(diffs)
    titles = ["DINO-WM (its pygame code)", "qwm (--frame-style %s)" % args.frame_style,
              "|diff| x 4" + (" (all zero)" if all_diff.max() == 0 else "")]
    Image.fromarray(np.concatenate([header(titles, RENDER)] + rows, axis=0)).save(
        os.path.join(args.out, "pusht-compare.png"))
    print("qwm's %s frames over %d states: mean |diff| %.3f levels, max %d, %.2f%% of pixels differ by more than 8 "
          "levels, %.2f%% by more than 32; figure %s (DINO-WM | qwm | |diff| x 4)"
          % (args.frame_style, args.states, all_diff.mean(), all_diff.max(), 100 * (all_diff.max(axis=3) > 8).mean(),
             100 * (all_diff.max(axis=3) > 32).mean(), os.path.join(args.out, "pusht-compare.png")))


if __name__ == "__main__":
    main()
