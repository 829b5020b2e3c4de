#!/usr/bin/env python3
"""Export an official DINO-WM checkpoint (gaoyuezhou/dino_wm) to a qwm model bundle.

NOT RUN HERE: this machine has no PyTorch for Python and no DINO-WM checkpoint, so this script is untested. It
follows DINO-WM's code as described in shared/reference/quantwm-facts.md (section 1) and env-facts.md (section 4);
check it against your checkout before trusting it. Run it inside DINO-WM's environment (torch 2.3, its repo on
PYTHONPATH), e.g.

    python export_dinowm.py --ckpt-dir /cache/ckpts/outputs/pusht --env pusht --out bundles/dinowm-pusht

The bundle contract it writes (services/libs/training/README.md, "ONNX contract") is the one qwm's planner reads:
  visual_encoder  images uint8 [B,H,W,3] RGB (H=W=imageSize, 224)   -> latents   float32 [B,N,D]  (N=196, D=384)
  proprio_encoder proprio float32 [B,T,P] raw (unnormalised)        -> proprio_emb float32 [B,T,10]
  action_encoder  actions float32 [B,T,10] normalised macro actions -> action_emb  float32 [B,T,10]
  predictor       z float32 [B,T,N,E], E=D+10+10, T in 1..numHist   -> z_pred      float32 [B,T,N,E]
B and T are dynamic. The graphs do their own preprocessing: the encoder casts, scales to [0,1], normalises with
mean 0.5 / std 0.5 (DINO-WM's transform, giving [-1,1]), resizes 224 -> 196 (bilinear, antialias) and returns
DINOv2's x_norm_patchtokens; the proprio encoder subtracts the dataset mean and divides by its std.
"""
import argparse
import hashlib
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

OPSET = 21


class VisualEncoder(nn.Module):
    def __init__(self, wm, image_size=224):
        super().__init__()
        self.encoder = wm.encoder  # models/dino.py::DinoV2Encoder
        self.resize = (image_size // 16) * 14  # VWorldModel: 224 -> 196 for 14-px patches

    def forward(self, images):
        x = images.permute(0, 3, 1, 2).float() / 255.0
        x = (x - 0.5) / 0.5
        x = F.interpolate(x, size=(self.resize, self.resize), mode="bilinear", antialias=True, align_corners=False)
        return self.encoder.base_model.forward_features(x)["x_norm_patchtokens"]


class ProprioEncoder(nn.Module):
    def __init__(self, wm, mean, std):
        super().__init__()
        self.embed = wm.proprio_encoder  # models/proprio.py::ProprioceptiveEmbedding (kernel-1 Conv1d)
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))

    def forward(self, proprio):
        return self.embed((proprio - self.mean) / self.std)


class ActionEncoder(nn.Module):
    def __init__(self, wm):
        super().__init__()
        self.embed = wm.action_encoder

    def forward(self, actions):
        return self.embed(actions)


class Predictor(nn.Module):
    def __init__(self, wm):
        super().__init__()
        self.predictor = wm.predictor  # models/vit.py::ViTPredictor (frame-causal mask sliced to T frames)

    def forward(self, z):
        t = z.shape[1]
        x = rearrange(z, "b t p d -> b (t p) d")
        x = self.predictor(x)
        return rearrange(x, "b (t p) d -> b t p d", t=t)


def export(module, example, in_name, out_name, dynamic, path):
    torch.onnx.export(module.eval(), (example,), path, input_names=[in_name], output_names=[out_name],
                      dynamic_axes={in_name: dynamic, out_name: dynamic}, opset_version=OPSET, do_constant_folding=True)
    data = open(path, "rb").read()
    return {"file": os.path.basename(path), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt-dir", required=True, help="DINO-WM output folder with hydra.yaml and checkpoints/")
    ap.add_argument("--env", required=True, choices=["wall", "pusht"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--action-mean", type=float, nargs="+", required=True, help="per env-action dim (2 values)")
    ap.add_argument("--action-std", type=float, nargs="+", required=True)
    ap.add_argument("--proprio-mean", type=float, nargs="+", required=True)
    ap.add_argument("--proprio-std", type=float, nargs="+", required=True)
    args = ap.parse_args()

    from plan import load_model  # DINO-WM's plan.py
    from omegaconf import OmegaConf
    cfg = OmegaConf.load(os.path.join(args.ckpt_dir, "hydra.yaml"))
    wm = load_model(os.path.join(args.ckpt_dir, "checkpoints", "model_latest.pth"), cfg, cfg.num_action_repeat,
                    device="cpu").eval()

    frameskip, num_hist, n, d = cfg.frameskip, cfg.num_hist, 196, 384
    proprio_dim = len(args.proprio_mean)
    action_dim = len(args.action_mean) * frameskip
    e = d + cfg.proprio_emb_dim + cfg.action_emb_dim
    os.makedirs(args.out, exist_ok=True)
    comps = {
        "visual_encoder": export(VisualEncoder(wm), torch.zeros(1, 224, 224, 3, dtype=torch.uint8), "images", "latents",
                                 {0: "B"}, os.path.join(args.out, "visual_encoder.onnx")),
        "proprio_encoder": export(ProprioEncoder(wm, args.proprio_mean, args.proprio_std),
                                  torch.zeros(1, 1, proprio_dim), "proprio", "proprio_emb", {0: "B", 1: "T"},
                                  os.path.join(args.out, "proprio_encoder.onnx")),
        "action_encoder": export(ActionEncoder(wm), torch.zeros(1, 1, action_dim), "actions", "action_emb",
                                 {0: "B", 1: "T"}, os.path.join(args.out, "action_encoder.onnx")),
        "predictor": export(Predictor(wm), torch.zeros(1, num_hist, n, e), "z", "z_pred", {0: "B", 1: "T"},
                            os.path.join(args.out, "predictor.onnx")),
    }
    manifest = {
        "format": "qwm-bundle/1", "name": "dinowm-" + args.env, "environment": args.env,
        "imageSize": 224, "patchSize": 16, "numPatches": n, "latentDim": d,
        "proprioDim": proprio_dim, "proprioEmbDim": cfg.proprio_emb_dim,
        "actionDim": action_dim, "actionEmbDim": cfg.action_emb_dim,
        "numHist": num_hist, "frameskip": frameskip,
        "actionMean": list(args.action_mean) * frameskip, "actionStd": list(args.action_std) * frameskip,
        "proprioMean": list(args.proprio_mean), "proprioStd": list(args.proprio_std),
        "components": comps,
        "provenance": {"kind": "dinowm-export", "checkpoint": os.path.abspath(args.ckpt_dir)},
    }
    with open(os.path.join(args.out, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)


if __name__ == "__main__":
    main()
