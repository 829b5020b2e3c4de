#!/usr/bin/env python3
"""Export DINO-WM's four modules, built from DINO-WM's own classes, to the ONNX files `./qwm import dinowm` reads.

Runs with Debian's python3-torch (1.13) and python3-onnx, against a checkout of DINO-WM (github.com/gaoyuezhou/dino_wm)
and one of DINOv2 (github.com/facebookresearch/dinov2, at a commit before 2025, when its attention moved to torch 2's
scaled_dot_product_attention; 85a2460 works). Nothing is downloaded: DINO-WM's DinoV2Encoder calls
torch.hub.load("facebookresearch/dinov2", name), which this script answers from the DINOv2 checkout.

    python3 export_dinowm.py --dino-wm ~/dino_wm --dinov2 ~/dinov2 --env pusht --out /tmp/dinowm-pusht \
        [--checkpoint outputs/pusht/checkpoints/model_latest.pth --dinov2-weights dinov2_vits14_pretrain.pth]

Without --checkpoint the modules keep their random initialisation (enough to test the path end to end). --small
shrinks depth and width (same classes) for the model qwm's tests carry.

DIR then holds, as a plain torch.onnx.export of each module writes them (opset 17, the newest torch 1.13 has):
  dinowm_visual_encoder.onnx   float [B,3,224,224] in [-1,1] (DINO-WM's Normalize(0.5,0.5)) -> [B,196,D]
                               (VWorldModel's resize 224 -> 196 inside, then DINOv2's x_norm_patchtokens)
  dinowm_proprio_encoder.onnx  normalised proprio [B,T,P] -> [B,T,proprio_emb_dim]
  dinowm_action_encoder.onnx   normalised frameskip-concatenated actions [B,T,A*frameskip] -> [B,T,action_emb_dim]
  dinowm_predictor.onnx        [B,T*196,D+proprio_emb+action_emb] frame-major tokens -> the same shape
and stats.json (actionMean/actionStd per environment action dimension, proprioMean/proprioStd, as DINO-WM's
datasets compute them), and <component>.input.npy / <component>.expected.npy per component (visual_encoder,
proprio_encoder, action_encoder, predictor): what this PyTorch computes for the unwrapped module, for
`./qwm import dinowm --reference DIR`. The reference image is made from uint8 pixels so that qwm's uint8 input can
reproduce it exactly.

One difference from training: VWorldModel resizes with torchvision's Resize, which antialiases in the torchvision
DINO-WM pins; torch 1.13 cannot export an antialiased resize, so the exported graph resizes bilinearly without it.
"""
import argparse
import contextlib
import json
import os
import re
import sys
import types

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 17
PATCHES_PER_FRAME = 196  # DINO-WM: image_size 224 // decoder scale 16 = 14 patches a side
ENV_ACTION_DIM = 2  # Wall and PushT: a 2-D action per environment step
PROPRIO_DIM = {"wall": 2, "pusht": 4}  # Wall: the agent's position; PushT with_velocity: position and velocity


def install_einops_stub():
    """DINO-WM's models/vit.py imports einops, which Debian does not package. Only the two rearrangements its
    Attention uses are provided; anything else fails loudly rather than guess."""
    try:
        import einops  # noqa: F401
        return
    except ImportError:
        pass

    def rearrange(t, pattern, **axes):
        p = " ".join(pattern.split())
        if p == "b n (h d) -> b h n d":
            b, n, hd = t.shape
            h = axes["h"]
            return t.reshape(b, n, h, hd // h).permute(0, 2, 1, 3)
        if p == "b h n d -> b n (h d)":
            b, h, n, d = t.shape
            return t.permute(0, 2, 1, 3).reshape(b, n, h * d)
        raise NotImplementedError("einops stub: pattern not provided: " + pattern)

    def repeat(*_args, **_kw):
        raise NotImplementedError("einops stub: repeat is not provided")

    sys.modules["einops"] = types.SimpleNamespace(rearrange=rearrange, repeat=repeat)


@contextlib.contextmanager
def cuda_to_cpu():
    """models/vit.py builds its frame-causal mask with .to('cuda'); on a CPU-only torch that must stay on the CPU."""
    original = torch.Tensor.to

    def to(self, *args, **kwargs):
        args = tuple("cpu" if (isinstance(a, str) and a.startswith("cuda")) or
                     (isinstance(a, torch.device) and a.type == "cuda") else a for a in args)
        if str(kwargs.get("device", "")).startswith("cuda"):
            kwargs["device"] = "cpu"
        return original(self, *args, **kwargs)

    torch.Tensor.to = to
    try:
        yield
    finally:
        torch.Tensor.to = original


def answer_hub_from(dinov2_dir, small, weights):
    """DinoV2Encoder calls torch.hub.load("facebookresearch/dinov2", name): build it from the local checkout."""
    hub_load = torch.hub.load
    sys.path.insert(0, dinov2_dir)

    def load(repo, name, *args, **kwargs):
        if repo != "facebookresearch/dinov2":
            return hub_load(repo, name, *args, **kwargs)
        if small:
            from functools import partial
            from dinov2.models import vision_transformer as vits
            from dinov2.layers import MemEffAttention, NestedTensorBlock as Block
            e, depth, heads = small["encoder"]
            # The class and constructor arguments of dinov2_vits14, narrower and shallower, at 224 px.
            return vits.DinoVisionTransformer(img_size=224, patch_size=14, embed_dim=e, depth=depth, num_heads=heads,
                                              mlp_ratio=4, block_fn=partial(Block, attn_class=MemEffAttention),
                                              init_values=1.0, ffn_layer="mlp", block_chunks=0,
                                              num_register_tokens=0, interpolate_antialias=False,
                                              interpolate_offset=0.1)
        model = hub_load(dinov2_dir, name, source="local", pretrained=False)
        if weights:
            model.load_state_dict(torch.load(weights, map_location="cpu"), strict=True)
        return model

    torch.hub.load = load


class VisualEncoder(nn.Module):
    """VWorldModel.encode_obs for one frame: its encoder_transform (resize to 14 patches of the encoder's patch size a
    side) and then DinoV2Encoder."""

    def __init__(self, encoder, image_size):
        super().__init__()
        self.encoder = encoder
        self.size = (image_size // 16) * encoder.patch_size

    def forward(self, x):
        x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        return self.encoder(x)


def commit_of(checkout):
    """The checkout's git commit, for the provenance of what was exported (None outside git)."""
    import subprocess
    try:
        return subprocess.run(["git", "-C", checkout, "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def read_yaml(path):
    import yaml
    with open(path) as f:
        return yaml.safe_load(f)


def dataset_stats(args, dino_wm):
    """actionMean/actionStd per environment action dimension and proprioMean/proprioStd, as DINO-WM's datasets
    compute them: PushT's are constants in datasets/pusht_dset.py; Wall's come from its dataset (wall_dset.py)."""
    if args.env == "pusht":
        src = open(os.path.join(dino_wm, "datasets", "pusht_dset.py")).read()

        def const(name):
            m = re.search(name + r"\s*=\s*torch\.tensor\(\[([^\]]*)\]\)", src)
            if not m:
                sys.exit("export_dinowm: %s not found in datasets/pusht_dset.py" % name)
            return [float(v) for v in m.group(1).split(",")]

        return {"actionMean": const("ACTION_MEAN"), "actionStd": const("ACTION_STD"),
                "proprioMean": const("PROPRIO_MEAN"), "proprioStd": const("PROPRIO_STD"),
                "source": "DINO-WM datasets/pusht_dset.py (with_velocity)"}
    if args.wall_dataset:
        states = torch.load(os.path.join(args.wall_dataset, "states.pth")).float()
        actions = torch.load(os.path.join(args.wall_dataset, "actions.pth")).float()
        return {"actionMean": actions.mean(dim=(0, 1)).tolist(), "actionStd": actions.std(dim=(0, 1)).tolist(),
                "proprioMean": states.mean(dim=(0, 1)).tolist(), "proprioStd": states.std(dim=(0, 1)).tolist(),
                "source": "DINO-WM wall_dset.py statistics of " + os.path.abspath(args.wall_dataset)}
    if args.checkpoint:
        sys.exit("export_dinowm: a Wall checkpoint needs --wall-dataset (its statistics normalise its inputs)")
    p = PROPRIO_DIM["wall"]
    return {"actionMean": [0.0] * ENV_ACTION_DIM, "actionStd": [1.0] * ENV_ACTION_DIM,
            "proprioMean": [0.0] * p, "proprioStd": [1.0] * p,
            "source": "identity (random weights, no --wall-dataset)"}


def build_modules(args, dino_wm):
    """The four modules from DINO-WM's classes, with the constructor arguments its train.py gives them."""
    sys.path.insert(0, dino_wm)
    install_einops_stub()
    small = None
    if args.small:
        # depth, heads, dim_head, mlp_dim of the predictor; embed dim, depth, heads of the encoder
        small = {"encoder": (32, 1, 2), "predictor": (2, 2, 16, 64)}
    answer_hub_from(os.path.abspath(args.dinov2), small, args.dinov2_weights)
    from models.dino import DinoV2Encoder
    from models.proprio import ProprioceptiveEmbedding
    from models.vit import ViTPredictor

    train = read_yaml(args.config or os.path.join(dino_wm, "conf", "train.yaml"))
    enc_cfg = read_yaml(os.path.join(dino_wm, "conf", "encoder", "dino.yaml"))
    pred_cfg = read_yaml(os.path.join(dino_wm, "conf", "predictor", "vit.yaml"))
    for key in ("predictor", "encoder"):
        if isinstance(train.get(key), dict):  # a run's resolved config carries its own sections
            (pred_cfg if key == "predictor" else enc_cfg).update(train[key])
    frameskip = int(train["frameskip"])
    num_hist = int(args.num_hist or train["num_hist"])
    image_size = int(train["img_size"])
    p_emb, a_emb = int(train["proprio_emb_dim"]), int(train["action_emb_dim"])
    repeats = (int(train.get("num_action_repeat", 1)), int(train.get("num_proprio_repeat", 1)))
    if repeats != (1, 1):
        sys.exit("export_dinowm: qwm's tokens carry each embedding once; num_action_repeat/num_proprio_repeat are %s"
                 % (repeats,))
    if int(train["concat_dim"]) != 1:
        sys.exit("export_dinowm: qwm reads concat_dim 1 (embeddings on every patch token); this config has %s"
                 % train["concat_dim"])
    proprio_dim = PROPRIO_DIM[args.env]

    with cuda_to_cpu():
        if args.checkpoint:
            payload = torch.load(args.checkpoint, map_location="cpu")
            missing = [k for k in ("predictor", "proprio_encoder", "action_encoder") if k not in payload]
            if missing:
                sys.exit("export_dinowm: %s has no %s" % (args.checkpoint, ", ".join(missing)))
            encoder = payload.get("encoder") or DinoV2Encoder(enc_cfg["name"], enc_cfg["feature_key"])
            predictor, proprio, action = payload["predictor"], payload["proprio_encoder"], payload["action_encoder"]
        else:
            torch.manual_seed(args.seed)
            encoder = DinoV2Encoder(enc_cfg["name"], enc_cfg["feature_key"])
            proprio = ProprioceptiveEmbedding(num_frames=1, tubelet_size=1, in_chans=proprio_dim, emb_dim=p_emb)
            action = ProprioceptiveEmbedding(num_frames=1, tubelet_size=1, in_chans=ENV_ACTION_DIM * frameskip,
                                             emb_dim=a_emb)
            depth, heads, dim_head, mlp = (small["predictor"] if small else
                                           (pred_cfg["depth"], pred_cfg["heads"], 64, pred_cfg["mlp_dim"]))
            predictor = ViTPredictor(num_patches=PATCHES_PER_FRAME, num_frames=num_hist,
                                     dim=encoder.emb_dim + p_emb + a_emb, depth=depth, heads=heads,
                                     dim_head=dim_head, mlp_dim=mlp, pool=pred_cfg.get("pool", "mean"),
                                     dropout=pred_cfg.get("dropout", 0.0), emb_dropout=pred_cfg.get("emb_dropout", 0.0))
    if encoder.feature_key != "x_norm_patchtokens":
        sys.exit("export_dinowm: qwm plans on patch tokens; the encoder's feature_key is " + encoder.feature_key)
    modules = {
        "visual_encoder": VisualEncoder(encoder, image_size),
        "proprio_encoder": proprio,
        "action_encoder": action,
        "predictor": predictor,
    }
    for m in modules.values():
        m.eval()
    dims = {"frameskip": frameskip, "numHist": num_hist, "imageSize": image_size, "proprioDim": proprio_dim,
            "actionDim": ENV_ACTION_DIM * frameskip, "latentDim": encoder.emb_dim,
            "tokenDim": encoder.emb_dim + p_emb + a_emb}
    return modules, dims


def reference_inputs(dims, rng):
    b, t = 2, dims["numHist"]
    # one image: at 224 px a float reference image is 600 KB, and the encoder has no batch coupling to test
    pixels = rng.integers(0, 256, size=(1, 3, dims["imageSize"], dims["imageSize"]))
    return {
        # as DINO-WM's pipeline hands frames to the model: /255, Normalize(0.5, 0.5)
        "visual_encoder": ((pixels / 255.0 - 0.5) / 0.5).astype(np.float32),
        "proprio_encoder": rng.standard_normal((b, t, dims["proprioDim"])).astype(np.float32),
        "action_encoder": rng.standard_normal((b, t, dims["actionDim"])).astype(np.float32),
        "predictor": rng.standard_normal((1, t * PATCHES_PER_FRAME, dims["tokenDim"])).astype(np.float32),
    }


DYNAMIC = {
    "visual_encoder": ({0: "B"}, {0: "B"}),
    "proprio_encoder": ({0: "B", 1: "T"}, {0: "B", 1: "T"}),
    "action_encoder": ({0: "B", 1: "T"}, {0: "B", 1: "T"}),
    "predictor": ({0: "B", 1: "tokens"}, {0: "B", 1: "tokens"}),
}
INPUT_NAMES = {"visual_encoder": "image", "proprio_encoder": "proprio", "action_encoder": "action",
               "predictor": "tokens"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dino-wm", required=True, help="a checkout of github.com/gaoyuezhou/dino_wm")
    ap.add_argument("--dinov2", required=True, help="a checkout of github.com/facebookresearch/dinov2 (pre-2025)")
    ap.add_argument("--env", required=True, choices=["wall", "pusht"])
    ap.add_argument("--out", required=True, help="folder for the ONNX files, stats.json and reference vectors")
    ap.add_argument("--checkpoint", help="DINO-WM's checkpoints/model_latest.pth (else random initialisation)")
    ap.add_argument("--config", help="the run's config: hydra.yaml beside its checkpoints/ (default: the checkout's "
                                     "conf/train.yaml)")
    ap.add_argument("--dinov2-weights", help="dinov2_vits14_pretrain.pth, when the checkpoint has no encoder")
    ap.add_argument("--wall-dataset", help="DINO-WM's wall_single folder (states.pth, actions.pth) for its stats")
    ap.add_argument("--num-hist", type=int, help="frames of history (default: the config's num_hist)")
    ap.add_argument("--small", action="store_true", help="depth and width reduced (qwm's test model)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    dino_wm = os.path.abspath(args.dino_wm)
    if not os.path.isfile(os.path.join(dino_wm, "models", "vit.py")):
        sys.exit("export_dinowm: --dino-wm %s is not a DINO-WM checkout (no models/vit.py)" % args.dino_wm)
    if not os.path.isfile(os.path.join(args.dinov2, "hubconf.py")):
        sys.exit("export_dinowm: --dinov2 %s is not a DINOv2 checkout (no hubconf.py)" % args.dinov2)
    if os.path.exists(args.out) and os.listdir(args.out):
        sys.exit("export_dinowm: --out %s exists and is not empty" % args.out)
    stats = dataset_stats(args, dino_wm)
    modules, dims = build_modules(args, dino_wm)
    os.makedirs(args.out, exist_ok=True)
    inputs = reference_inputs(dims, np.random.default_rng(args.seed))
    for name, module in modules.items():
        x = torch.from_numpy(inputs[name])
        with torch.no_grad():
            expected = module(x)
        dyn_in, dyn_out = DYNAMIC[name]
        path = os.path.join(args.out, "dinowm_%s.onnx" % name)
        torch.onnx.export(module, (x,), path, input_names=[INPUT_NAMES[name]], output_names=["output"],
                          dynamic_axes={INPUT_NAMES[name]: dyn_in, "output": dyn_out}, opset_version=OPSET,
                          do_constant_folding=True)
        np.save(os.path.join(args.out, name + ".input.npy"), np.ascontiguousarray(inputs[name]))
        np.save(os.path.join(args.out, name + ".expected.npy"), np.ascontiguousarray(expected.numpy()))
        print("%-16s %-28s in %s out %s, %d bytes" % (name, os.path.basename(path), list(x.shape),
                                                      list(expected.shape), os.path.getsize(path)))
    stats["environment"] = args.env
    with open(os.path.join(args.out, "stats.json"), "w") as f:
        json.dump(stats, f, indent=2)
    with open(os.path.join(args.out, "export.json"), "w") as f:
        json.dump({"dims": dims, "small": args.small, "checkpoint": args.checkpoint, "seed": args.seed,
                   "dinoWmCommit": commit_of(dino_wm), "dinov2Commit": commit_of(args.dinov2),
                   "torch": torch.__version__, "opset": OPSET}, f, indent=2)


if __name__ == "__main__":
    main()
