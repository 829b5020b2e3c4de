#!/usr/bin/env python3
"""Fleet throughput at predictor intra-op thread counts, side by side, through the real stack.

The same small study (the same episodes: same seeds, same planner seed, same recipes) runs on the local stack
(Kafka, PostgreSQL, the five services and two planner workers, as `./qwm services up` starts them) once per arm; before
each arm only the predictor service is restarted, with PREDICTOR_INTRA_OP_THREADS set to the arm's thread count.
Arms alternate (default 1,2,1,2,1,2), so the machine's load hits both alike. For each arm: episodes per minute (from
the study's submission to its last stored episode), the CPU time of the whole stack (every service process, the
broker, PostgreSQL and its backends; the `./qwm study run` client apart) and of the predictor alone per episode, and
the load average before and after. Then every arm's episodes are compared with the first arm's field by field (every
result, MPC iteration and CEM step the collector stored, timing fields and ids aside): the thread count must not
change a single episode.

    python3 docs/bench/fleet-threads.py --arms 1,2,1,2,1,2 --episodes 8 --out /tmp/fleet-threads

Run it from a checkout whose stack is not running anything else (it starts what is missing and leaves the stack up;
stop it with `./qwm services down --infra`). The first arm of each thread count also pays the predictor's load-time
kernel choice for a new thread count and the quantization of the recipes (once): --warmup runs a short unmeasured
arm per thread count first. Timing decides nothing in the tests; this is a measurement.
"""
import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TICK = os.sysconf("SC_CLK_TCK")

SPEC = """# written by docs/bench/fleet-threads.py: one arm of the predictor-threads benchmark
name: {name}
environment: wall
bundle: {bundle}
episodes: {episodes}
seeds: {{base: 99, offset: 1, split: validation}}
planner_seed: 0
log: {log}
budgets:
  - {{max_iter: {max_iter}}}
recipes:
  - {{name: fp32}}
  - {{name: predictor-w4a16-g128, preset: w4a16-g128, modules: predictor}}
"""


def qwm(*args, env=None, capture=False):
    e = dict(os.environ)
    e.setdefault("QWM_JAVA_OPTS", "-Dqwm.progress=lines")
    if env:
        e.update(env)
    r = subprocess.run([str(ROOT / "qwm"), *args], cwd=ROOT, env=e, text=True,
                       stdout=subprocess.PIPE if capture else None, stderr=subprocess.STDOUT if capture else None)
    if r.returncode != 0:
        raise SystemExit(f"./qwm {' '.join(args)} failed with exit {r.returncode}" + (f":\n{r.stdout}" if capture else ""))
    return r.stdout


def stat(pid):
    """(ppid, CPU seconds of the process and its waited-for children) from /proc/PID/stat, or None."""
    try:
        s = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    f = s[s.rindex(")") + 2:].split()
    # fields after the name: state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based from pid
    return int(f[1]), sum(int(x) for x in f[11:15]) / TICK


def stack_pids():
    services = json.loads((ROOT / ".qwm" / "services.json").read_text())
    named = {s["name"]: s["pid"] for s in services}
    infra = json.loads(next((ROOT / ".qwm").rglob("infra.json")).read_text())
    roots = set(named.values()) | {infra["kafkaPid"], infra["postgresPid"]}
    return named, roots


def cpu_snapshot():
    """CPU seconds of the stack (its processes and all their descendants) and of the predictor."""
    named, roots = stack_pids()
    procs = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            st = stat(p.name)
            if st:
                procs[int(p.name)] = st
    children = {}
    for pid, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    total, seen, todo = 0.0, set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in procs:
            continue
        seen.add(pid)
        total += procs[pid][1]
        todo.extend(children.get(pid, []))
    predictor = procs.get(named["predictor"], (0, 0.0))[1]
    return {"stack": total, "predictor": predictor, "processes": len(seen), "predictor_pid": named["predictor"]}


def load():
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def episodes(log):
    out = {}
    for chunk in sorted(Path(log).glob("episodes-*.jsonl.gz")):
        with gzip.open(chunk, "rt") as f:
            for line in f:
                e = json.loads(line)
                c = e["completed"]
                out[(c["configuration"], int(c["episodeId"]["index"]))] = e
    return out


TIMING = re.compile(r"(Ms|UnixMs|Id|Ids)$|^(ranOn|workerId|eventId|attemptId|episodeId|studyId)$")


def strip(o):
    """An episode without what may differ between identical runs: timings, ids, workers, where it ran."""
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if not TIMING.search(k)}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o


def cem_steps(eps):
    """The planners' mean wall time of a CEM step (Rollout call and CEM update) over every step of the arm."""
    n = sum(len(e["trace"]["cemSteps"]) for e in eps.values())
    ms = sum(e["completed"]["meanCemStepMs"] * len(e["trace"]["cemSteps"]) for e in eps.values())
    return {"cem_steps": n, "cem_step_ms": ms / n}


def cpu_flags():
    flags = set(re.findall(r"avx512_vnni|amx_int8|avx2", Path("/proc/cpuinfo").read_text()))
    model = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1)
    return model, sorted(flags)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arms", default="1,2,1,2,1,2", help="predictor intra-op threads per arm, in order")
    ap.add_argument("--episodes", type=int, default=8, help="episodes per recipe (two recipes) per arm")
    ap.add_argument("--max-iter", type=int, default=3, help="MPC iterations at most per episode (CEM 300 x 10)")
    ap.add_argument("--warmup", type=int, default=1, help="episodes per recipe of the unmeasured arm run first at "
                                                          "each thread count (0: none)")
    ap.add_argument("--out", required=True, help="folder for the specs, episode logs and results.json")
    ap.add_argument("--summarize", action="store_true", help="run nothing: recompute the summary of --out's arms "
                                                              "from its results.json and episode logs")
    a = ap.parse_args()
    arms = [int(t) for t in a.arms.split(",")]
    out = Path(a.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    run = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    model, flags = cpu_flags()
    if a.summarize:
        old = json.loads((out / "results.json").read_text())
        a.episodes = old.get("episodes_per_recipe", old["arms"][0]["episodes"] // 2)
        a.max_iter = old.get("max_iter", a.max_iter)
        model, flags, arms = old["cpu"], old["flags"], [r["threads"] for r in old["arms"]]
    print(f"CPU {model}, {os.cpu_count()} cores, flags {' '.join(flags)}; arms {arms}; "
          f"{a.episodes} episodes x 2 recipes per arm, CEM 300 x 10, max_iter {a.max_iter}", flush=True)

    def arm(i, threads, n, label):
        qwm("services", "down", "predictor")
        qwm("services", "up", env={"PREDICTOR_INTRA_OP_THREADS": str(threads)})
        name = f"fleet-threads-{run}-{label}"
        log = out / label
        spec = out / f"{label}.yaml"
        spec.write_text(SPEC.format(name=name, bundle=ROOT / "models" / "wall", episodes=n, log=log,
                                    max_iter=a.max_iter))
        l0, c0, t0 = load(), cpu_snapshot(), time.time()
        text = qwm("study", "run", str(spec), capture=True)
        t1, c1, l1 = time.time(), cpu_snapshot(), load()
        (out / f"{label}.txt").write_text(text)
        eps = episodes(log)
        done = max(int(e["completed"]["completedAtUnixMs"]) for e in eps.values()) / 1000
        minutes = (done - t0) / 60
        r = {"arm": i, "label": label, "threads": threads, "episodes": len(eps), "minutes": minutes,
             "episodes_per_min": len(eps) / minutes, "mpc_iterations": sum(int(e["completed"]["mpcIterations"])
                                                                           for e in eps.values()),
             "stack_cpu_s": c1["stack"] - c0["stack"], "predictor_cpu_s": c1["predictor"] - c0["predictor"],
             "stack_processes": c1["processes"], "load_before": l0, "load_after": l1,
             "successes": sum(1 for e in eps.values() if e["completed"].get("success"))}
        r["stack_cpu_s_per_episode"] = r["stack_cpu_s"] / len(eps)
        r["predictor_cpu_s_per_episode"] = r["predictor_cpu_s"] / len(eps)
        r.update(cem_steps(eps))
        print(f"arm {label}: {threads} thread(s), {len(eps)} episodes ({r['successes']} successes, "
              f"{r['mpc_iterations']} MPC iterations) in {minutes:.2f} min = {r['episodes_per_min']:.2f}/min; "
              f"CPU per episode: stack {r['stack_cpu_s_per_episode']:.1f} s, predictor "
              f"{r['predictor_cpu_s_per_episode']:.1f} s; CEM step {r['cem_step_ms']:.0f} ms as the planners saw it; "
              f"load {l0[0]:.2f} -> {l1[0]:.2f}", flush=True)
        return r, eps

    if a.summarize:
        def arm(i, threads, n, label):
            r = next(x for x in old["arms"] if x["label"] == label)
            eps = episodes(out / label)
            r.update(cem_steps(eps))
            return r, eps
    elif a.warmup > 0:
        for t in dict.fromkeys(arms):
            arm(0, t, a.warmup, f"warmup-t{t}")
    results, first, mismatches = [], None, []
    for i, t in enumerate(arms, 1):
        r, eps = arm(i, t, a.episodes, f"arm{i}-t{t}")
        results.append(r)
        if first is None:
            first = (r["label"], eps)
            continue
        if set(eps) != set(first[1]):
            mismatches.append(f"{r['label']}: episodes {sorted(set(eps) ^ set(first[1]))} not in both")
        for k in sorted(set(eps) & set(first[1])):
            if strip(eps[k]) != strip(first[1][k]):
                mismatches.append(f"{r['label']} vs {first[0]}: episode {k} differs")
    by = {}
    for r in results:
        by.setdefault(r["threads"], []).append(r)
    summary = {}
    for t, rs in by.items():
        n = sum(r["episodes"] for r in rs)
        summary[t] = {"arms": len(rs), "episodes": n, "minutes": sum(r["minutes"] for r in rs),
                      "episodes_per_min": n / sum(r["minutes"] for r in rs),
                      "stack_cpu_s_per_episode": sum(r["stack_cpu_s"] for r in rs) / n,
                      "predictor_cpu_s_per_episode": sum(r["predictor_cpu_s"] for r in rs) / n,
                      "cem_step_ms": sum(r["cem_step_ms"] * r["cem_steps"] for r in rs) / sum(r["cem_steps"] for r in rs),
                      "per_arm_cem_step_ms": [round(r["cem_step_ms"]) for r in rs],
                      "per_arm_episodes_per_min": [round(r["episodes_per_min"], 2) for r in rs]}
    base = summary[arms[0]]
    print()
    print("| predictor threads | arms | episodes | episodes/min (per arm) | ratio | stack CPU-s/episode | ratio "
          "| predictor CPU-s/episode | ratio | CEM step ms (per arm) | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for t, s in summary.items():
        print(f"| {t} | {s['arms']} | {s['episodes']} | {s['episodes_per_min']:.2f} "
              f"({', '.join(f'{x:.2f}' for x in s['per_arm_episodes_per_min'])}) "
              f"| {s['episodes_per_min'] / base['episodes_per_min']:.2f} | {s['stack_cpu_s_per_episode']:.1f} "
              f"| {s['stack_cpu_s_per_episode'] / base['stack_cpu_s_per_episode']:.2f} "
              f"| {s['predictor_cpu_s_per_episode']:.1f} "
              f"| {s['predictor_cpu_s_per_episode'] / base['predictor_cpu_s_per_episode']:.2f} "
              f"| {s['cem_step_ms']:.0f} ({', '.join(str(x) for x in s['per_arm_cem_step_ms'])}) "
              f"| {s['cem_step_ms'] / base['cem_step_ms']:.2f} |")
    loads = [x for r in results for x in (r["load_before"][0], r["load_after"][0])]
    print(f"\nload average (1 min) at the arms' starts and ends: {min(loads):.2f} - {max(loads):.2f}")
    same = not mismatches
    print(f"episodes identical in every arm: {'yes' if same else 'NO'} ({len(first[1])} episodes compared "
          f"field by field with arm {first[0]})")
    for m in mismatches:
        print("  " + m)
    (out / "results.json").write_text(json.dumps({"cpu": model, "cores": os.cpu_count(), "flags": flags,
                                                  "episodes_per_recipe": a.episodes, "max_iter": a.max_iter,
                                                  "arms": results, "summary": summary,
                                                  "identical": same, "mismatches": mismatches}, indent=2))
    sys.exit(0 if same else 2)


if __name__ == "__main__":
    main()
