#!/usr/bin/env python3
"""qwm's Wall frames against DINO-WM's own drawing code, pixel by pixel, on the same states.

DINO-WM draws Wall with three methods of env/wall/envs/wall.py's DotWall (_render_walls, _render_dot,
channels_to_img) on a 65x65 grid, and its env wrapper resizes that to 224x224 (torchvision Resize, bilinear). This
script takes those three functions from a DINO-WM checkout as they are (parsed out of the file, so that gym, scipy
and omegaconf, which the rest of the module imports, are not needed), draws the start states `./qwm env render`
reports, and compares at 65 px (the drawing) and at 224 px (the drawing and the resampling). Needs Debian's
python3-torch and python3-pil.

    python3 services/libs/environments/tools/dinowm-render-compare/compare_wall_renderer.py --dino-wm ~/dino_wm \
        --qwm . --states 8 --out /tmp/wall-compare
"""
import argparse
import ast
import math
import os
import re
import subprocess
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

# DINO-WM's env/wall/wall_env_wrapper.py DEFAULT_CFG (fix_wall: one layout) and its TRANSFORM, Resize((224, 224))
CONFIG = types.SimpleNamespace(wall_width=6, door_space=4, border_wall_loc=5, dot_std=1.7, img_size=65)
WALL_X, DOOR_Y = 32, 30


def dotwall_drawing(dino_wm):
    path = os.path.join(dino_wm, "env", "wall", "envs", "wall.py")
    tree = ast.parse(open(path).read())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "DotWall")
    wanted = {"_render_walls", "_render_dot", "channels_to_img"}
    defs = [f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name in wanted]
    if {f.name for f in defs} != wanted:
        sys.exit("compare_wall_renderer: DotWall in %s lacks %s" % (path, wanted - {f.name for f in defs}))
    scope = {"torch": torch, "math": math}
    exec(compile(ast.Module(body=defs, type_ignores=[]), path, "exec"), scope)
    env = types.SimpleNamespace(img_size=CONFIG.img_size, device="cpu", wall_config=CONFIG, dot_std=CONFIG.dot_std)

    def draw(x, y, size):
        walls = scope["_render_walls"](env, WALL_X, DOOR_Y)
        dot = scope["_render_dot"](env, torch.tensor([x, y], dtype=torch.float32))
        rgb = scope["channels_to_img"](env, walls, dot).float()  # [3,65,65], as reset() returns it
        if size != CONFIG.img_size:
            rgb = F.interpolate(rgb[None], size=(size, size), mode="bilinear", align_corners=False)[0]
        return rgb.permute(1, 2, 0).numpy()  # HWC float in 0..255, what the planner's pipeline gets

    return draw


def qwm_frame(qwm, seed, size, out):
    r = subprocess.run([os.path.join(qwm, "qwm"), "env", "render", "--env", "wall", "--seed", str(seed), "--size",
                        str(size), "--out", out], capture_output=True, text=True, check=True)
    m = re.search(r"start state \[([-0-9.eE]+), ([-0-9.eE]+)", r.stdout)
    return np.asarray(Image.open(out).convert("RGB"), dtype=np.float64), float(m.group(1)), float(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dino-wm", required=True)
    ap.add_argument("--qwm", required=True, help="the qwm repository (its ./qwm)")
    ap.add_argument("--states", type=int, default=8)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    draw = dotwall_drawing(args.dino_wm)
    print("%-5s %-16s %-28s %-28s" % ("seed", "dot (x, y)", "65 px: max / mean |diff|", "224 px: max / mean |diff|"))
    rows, worst = [], {65: 0.0, 224: 0.0}
    for seed in range(args.states):
        cells = []
        for size in (65, 224):
            q, x, y = qwm_frame(args.qwm, seed, size, os.path.join(args.out, "qwm-%d-%d.png" % (seed, size)))
            d = draw(x, y, size)
            diff = np.abs(q - d)
            worst[size] = max(worst[size], diff.max())
            cells.append("%6.2f / %-8.4f (%5.2f%% > 1)" % (diff.max(), diff.mean(), 100 * (diff > 1).mean()))
            if size == 224:
                rows.append(np.concatenate([d, q, np.clip(diff * 8, 0, 255)], axis=1))
        print("%-5d (%6.2f, %6.2f)   %-28s %-28s" % (seed, x, y, cells[0], cells[1]))
    Image.fromarray(np.concatenate(rows, axis=0).astype(np.uint8)).save(os.path.join(args.out, "wall-compare.png"))
    print("largest difference: %.2f levels at 65 px, %.2f at 224 px; figure %s (DINO-WM | qwm | |diff| x 8)"
          % (worst[65], worst[224], os.path.join(args.out, "wall-compare.png")))


if __name__ == "__main__":
    main()
