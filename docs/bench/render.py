"""Renders a `./qwm bench --json` report as the markdown table of docs/bench (1-thread CPU and wall times, profile shares)."""
import json, sys
PRODUCTS = ["MatMul", "FusedMatMul", "MatMulIntegerToFloat", "MatMulInteger", "MatMulNBits", "QGemm", "Gemm", "DynamicQuantizeMatMul"]
COLS = ["LayerNormalization", "SkipLayerNormalization", "MultiHeadAttention", "BiasGelu", "Transpose", "Add", "Split", "Softmax", "QuantizeLinear", "Reshape"]
d = json.load(open(sys.argv[1]))
bs = d["bundles"]
# only 1-thread timings carry CPU times (with more threads the JSON has "NaN" there)
extrap = any(abs(t.get("extrapolatedCpuMs", t["minCpuMs"]) - t["minCpuMs"]) > 1e-6 for b in bs for t in b["timings"] if t["threads"] == 1)
multi = sorted({t["threads"] for b in bs for t in b["timings"] if t["threads"] != 1})
prof = any(b.get("profile") for b in bs)
cols = [c for c in COLS if any((b.get("profile") or {}).get("opMs", {}).get(c, 0) > 0 for b in bs)]
hdr = ["bundle", "GFLOP/step", "1-thread CPU ms (×FP32)"] + (["CPU ms @300"] if extrap else []) + ["1-thread wall ms (×)"] \
    + ["%d-thread wall ms (×)" % n for n in multi] + ["predictor file ×"]
if prof:
    hdr += ["in ORT", "products", "outside products"] + cols
hdr += ["predictor kernels (as run)"]
print("| " + " | ".join(hdr) + " |")
print("|" + "---|" * len(hdr))
for b in bs:
    t = [x for x in b["timings"] if x["threads"] == 1][0]
    pred = [c for c in b["components"] if c["name"] == "predictor"][0]
    row = [b["name"], "%.2f" % b["gflop"], "%.1f (**%.2f**)" % (t["minCpuMs"], t["minCpuRatio"])]
    if extrap:
        row.append("%.0f" % t.get("extrapolatedCpuMs", t["minCpuMs"]))
    row.append("%.1f (%.2f)" % (t["medianMs"], t["medianRatio"]))
    for n in multi:
        tn = [x for x in b["timings"] if x["threads"] == n][0]
        row.append("%.1f (%.2f)" % (tn["medianMs"], tn["medianRatio"]))
    row.append("%.3f" % pred["ratio"])
    if prof:
        p = b.get("profile") or {}
        step = p.get("stepMs") or 0
        ops = p.get("opMs", {})
        if step:
            prodms = sum(ops.get(o, 0) for o in PRODUCTS)
            row += ["%.0f%%" % (100 * p["ortMs"] / step), "%.0f%%" % (100 * prodms / step), "%.0f%%" % (100 * (1 - prodms / step))]
            row += [("%.0f%%" % (100 * ops[c] / step)) if ops.get(c, 0) > 0 else "-" for c in cols]
        else:
            row += ["-"] * (3 + len(cols))
    k = pred["kernels"]
    desc = " ".join("%s×%d" % (n, c) for n, c in sorted(k.items(), key=lambda e: -e[1]))
    if pred.get("expandedAtLoad"):
        desc += " (%d MatMulNBits as float MatMul at load)" % pred["expandedAtLoad"]
    row.append(desc)
    print("| " + " | ".join(row) + " |")
