#!/usr/bin/python3
"""Benchmark: `rebuy cohorts` (monthly) and `rebuy rfm` on 10M rows against pandas doing the
same, in the same run.

Run with Debian's /usr/bin/python3 (the pandas peers belong to it). Shares the machinery of
bench/summary.py (input generation and caching, one child process per run with wall time and
peak RSS from wait4, round-robin runs, medians). Targets (issue 3): monthly cohorts <= 1.5 s
and RFM <= 1.5 s wall for 10M rows on a 2-core machine; reported, never enforced. The exit
status is 1 when a tool fails or rebuy and pandas disagree (then it is not the same job).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import summary as S  # noqa: E402

TARGET_S = 1.5


def parse_rebuy_cohorts(path):
    with open(path) as f:
        d = json.load(f)
    out = {}
    for c in d["cohorts"]:
        if not c["size"]:
            continue  # empty cohorts: pandas has no row for them
        out[c["cohort"]] = {"size": int(c["size"]),
                            "counts": {k: int(v) for k, v in enumerate(c["counts"]) if v}}
    return {"cohorts": out}


def parse_pandas_cohorts(path):
    with open(path) as f:
        d = json.load(f)
    return {"cohorts": {k: {"size": v["size"], "counts": {int(o): n for o, n in v["counts"].items()}}
                        for k, v in d["cohorts"].items()},
            "timings": d["timings"], "version": d["version"]}


def parse_rebuy_rfm(path):
    with open(path) as f:
        d = json.load(f, parse_float=Decimal)
    segs = {}
    for s in d["segments"]:
        if int(s["customers"]):
            segs[s["segment"]] = {"customers": int(s["customers"]),
                                  "revenue_cents": S.cents(s["revenue"])}
    return {"segments": segs}


def parse_pandas_rfm(path):
    with open(path) as f:
        d = json.load(f)
    return {"segments": d["segments"], "scores": d["scores"], "timings": d["timings"],
            "version": d["version"]}


def rebuy_score_counts(rebuy, src, tmp, threads):
    """(r, f, m) -> customers, from `rebuy rfm --customers` (once, not timed)."""
    out = os.path.join(tmp, "rfm-customers.csv")
    subprocess.run([rebuy, "rfm", src, "--customers", "--format", "csv", "--quiet", "-o", out]
                   + threads, check=True)
    counts = Counter()
    with open(out) as f:
        header = f.readline().rstrip("\n").split(",")
        ir, iff, im = header.index("r"), header.index("f"), header.index("m")
        for line in f:
            c = line.rstrip("\n").split(",")
            counts["%s%s%s" % (c[ir], c[iff], c[im])] += 1
    return dict(counts)


def main():
    ap = argparse.ArgumentParser(description="rebuy cohorts and rfm vs pandas.")
    ap.add_argument("--rows", type=int, default=S.TARGET_ROWS)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rebuy")
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--data-dir", default=os.path.join(S.BENCH, "data"))
    ap.add_argument("--results-dir", default=os.path.join(S.BENCH, "results"))
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument("--threads", type=int)
    args = ap.parse_args()

    machine = S.machine_info()
    S.log("machine: %d CPUs (%d usable), %s; load average before %.2f %.2f %.2f"
          % (machine["nproc"], machine["cpus_usable"], machine["cpu_model"],
             *machine["loadavg_before"]))
    if machine["loadavg_before"][0] > 0.5:
        S.log("WARNING: the machine is busy: timings are noisy (ratios in one run compare)")
    rebuy = S.find_rebuy(args)
    meta = S.input_file(args, rebuy)
    src = meta["path"]
    S.warm_page_cache(src)
    threads = ["--threads", str(args.threads)] if args.threads else []
    env = dict(os.environ, REBUY_TIMINGS="1")
    tmp = tempfile.mkdtemp(prefix="rebuy-bench-")
    pandas_ok = not args.skip_pandas and subprocess.run(
        [args.python, "-c", "import pandas"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL).returncode == 0
    tools = [
        S.Tool("rebuy cohorts", [rebuy, "cohorts", src, "--period", "month", "--mode", "on",
                                 "--metric", "customers", "--format", "json", "--quiet", "-o",
                                 os.path.join(tmp, "cohorts.json")] + threads,
               parse_rebuy_cohorts, env=env, out_name=os.path.join(tmp, "cohorts.json")),
        S.Tool("rebuy rfm", [rebuy, "rfm", src, "--format", "json", "--quiet", "-o",
                             os.path.join(tmp, "rfm.json")] + threads,
               parse_rebuy_rfm, env=env, out_name=os.path.join(tmp, "rfm.json")),
    ]
    if pandas_ok:
        tools += [
            S.Tool("pandas cohorts", [args.python, os.path.join(S.PEERS, "cohorts_pandas.py"),
                                      src, os.path.join(tmp, "pd-cohorts.json")],
                   parse_pandas_cohorts, out_name=os.path.join(tmp, "pd-cohorts.json")),
            S.Tool("pandas rfm", [args.python, os.path.join(S.PEERS, "rfm_pandas.py"), src,
                                  os.path.join(tmp, "pd-rfm.json")],
                   parse_pandas_rfm, out_name=os.path.join(tmp, "pd-rfm.json")),
        ]
    else:
        S.log("pandas: SKIPPED (%s cannot import pandas: apt-get install python3-pandas)"
              % args.python)
    failed = False
    try:
        for i in range(args.repeat):
            for t in tools:
                if t.error:
                    continue
                if os.path.exists(t.out_name):
                    os.remove(t.out_name)
                err = os.path.join(tmp, "stderr.txt")
                rc, wall, rss, cpu = S.run_child(t.argv, stderr_path=err, env=t.env)
                if rc != 0:
                    t.error = "exit %d: %s" % (rc, S.tail(err))
                    S.log("  %-15s FAILED (%s)" % (t.name, t.error))
                    failed = True
                    continue
                res = t.parse(t.out_name)
                if t.result is None:
                    t.result = res
                t.extra.append(S.parse_rebuy_timings(S.tail(err)) if t.name.startswith("rebuy")
                               else res.get("timings"))
                t.runs.append({"wall_s": wall, "peak_rss_bytes": rss, "cpu_s": cpu})
                S.log("  %-15s run %d: %7.3f s wall, %7.3f s cpu, %7.1f MB peak"
                      % (t.name, i + 1, wall, cpu, rss / 1e6))
        byname = {t.name: t for t in tools}
        checks = {}
        if pandas_ok and not failed:
            rc, pc = byname["rebuy cohorts"].result, byname["pandas cohorts"].result
            checks["cohorts"] = rc["cohorts"] == pc["cohorts"]
            rr, pr = byname["rebuy rfm"].result, byname["pandas rfm"].result
            checks["rfm segments"] = rr["segments"] == pr["segments"]
            checks["rfm scores per customer"] = (rebuy_score_counts(rebuy, src, tmp, threads)
                                                 == pr["scores"])
            for k, ok in checks.items():
                S.log("check %-24s rebuy and pandas %s" % (k, "AGREE" if ok else "DISAGREE"))
                failed |= not ok
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    S.log("\n%d rows, %s; medians of %d runs" % (meta["rows"], os.path.basename(src),
                                                args.repeat))
    S.log("%-16s %9s %9s %9s %9s %10s %9s" % ("tool", "median s", "min s", "max s", "cpu s",
                                              "peak MB", "x rebuy"))
    results = {}
    for t in tools:
        if not t.runs:
            continue
        walls = [r["wall_s"] for r in t.runs]
        med = S.median(walls)
        ref = byname.get("rebuy " + t.name.split()[1]) if t.name.startswith("pandas") else t
        ratio = med / S.median([r["wall_s"] for r in ref.runs]) if ref and ref.runs else None
        S.log("%-16s %9.3f %9.3f %9.3f %9.3f %10.1f %9s"
              % (t.name, med, min(walls), max(walls), S.median([r["cpu_s"] for r in t.runs]),
                 S.median([r["peak_rss_bytes"] for r in t.runs]) / 1e6,
                 "%.2f" % ratio if ratio else "-"))
        results[t.name] = {"runs": t.runs, "median_wall_s": med, "phases": t.extra}
    for name in ("rebuy cohorts", "rebuy rfm"):
        t = byname[name]
        if t.runs:
            med = S.median([r["wall_s"] for r in t.runs])
            S.log("target %s <= %.1f s (median %.3f s): %s" % (name, TARGET_S, med,
                                                            "MET" if med <= TARGET_S else "NOT MET"))
    os.makedirs(args.results_dir, exist_ok=True)
    path = os.path.join(args.results_dir, "cohorts-rfm-%s.json"
                        % S.datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S"))
    with open(path, "w") as f:
        json.dump({"machine": machine, "input": meta, "results": results, "checks": checks,
                   "load_after": list(os.getloadavg())}, f, indent=1)
    S.log("results: %s" % S.shown(path))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
