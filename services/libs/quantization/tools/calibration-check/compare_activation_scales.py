"""The static activation scales of two calibrations of one recipe, quantizer by quantizer: how far a smaller
calibration set moves them. Usage: compare_activation_scales.py BUNDLE_A BUNDLE_B (python3-onnx from Debian)."""
import sys, onnx, numpy as np
from onnx import numpy_helper
a, b = sys.argv[1], sys.argv[2]
for comp in ["visual_encoder", "predictor"]:
    rows = []
    ma, mb = onnx.load(f"{a}/{comp}.onnx"), onnx.load(f"{b}/{comp}.onnx")
    ia = {i.name: numpy_helper.to_array(i) for i in ma.graph.initializer}
    ib = {i.name: numpy_helper.to_array(i) for i in mb.graph.initializer}
    qa = [n for n in ma.graph.node if n.op_type == "QuantizeLinear"]
    qb = {n.name: n for n in mb.graph.node if n.op_type == "QuantizeLinear"}
    for n in qa:
        if n.input[1] not in ia or n.name not in qb:
            continue
        sa, sb = ia[n.input[1]], ib[qb[n.name].input[1]]
        za = ia.get(n.input[2]) if len(n.input) > 2 else None
        zb = ib.get(qb[n.name].input[2]) if len(qb[n.name].input) > 2 else None
        rel = float(np.max(np.abs(sb - sa) / np.abs(sb)))
        rows.append((n.name, float(np.ravel(sa)[0]), float(np.ravel(sb)[0]), rel,
                     None if za is None else int(np.ravel(za)[0]), None if zb is None else int(np.ravel(zb)[0])))
    print(f"{comp}: {len(rows)} static activation quantizers")
    for r in rows:
        print(f"  {r[0][:60]:60s} scale {r[1]:.5f} vs {r[2]:.5f}  rel.diff {r[3]*100:5.1f} %  zero point {r[4]} vs {r[5]}")
    if rows:
        rel = np.array([r[3] for r in rows])
        print(f"  median rel.diff {np.median(rel)*100:.1f} %, max {rel.max()*100:.1f} %")
