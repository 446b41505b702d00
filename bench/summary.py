#!/usr/bin/python3
"""Benchmark: `rebuy summary` on 10M rows against sqlite3 and pandas in the same run.

Run with Debian's /usr/bin/python3 (standard library only; pandas is used by the peer script
bench/peers/summary_pandas.py, in its own child process). bench/run-summary.sh installs the peers
and runs this. See bench/README.md for what each tool computes and how to read the output.

Each run of each tool is its own child process: wall time is measured around it, peak memory is
that child's ru_maxrss from os.wait4. Tools run round-robin (rebuy, rebuy -t1, sqlite3, pandas,
rebuy, ...) so drift on a shared machine hits them alike; medians of --repeat runs are reported,
with ratios peer/rebuy. Targets are reported, never enforced: the exit status is 0 unless a tool
failed or the tools disagree on customers, orders or revenue (then it is not the same job).
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
PEERS = os.path.join(BENCH, "peers")

# `rebuy gen` parameters: with 1,000,000 customers they give 10,006,115 rows (seed 7, 408 MB), i.e.
# about 10 orders per customer over two years, in time order with customers interleaved.
GEN = [("r", "2"), ("alpha", "12.5"), ("s", "1.5"), ("beta", "150"), ("weeks", "104"),
       ("acquisition-weeks", "52"), ("seed", "7")]
ROWS_PER_CUSTOMER = 10.006     # measured for GEN; used to scale --rows to customers
CUSTOMERS_AT_10M = 1_000_000

TARGET_WALL_S = 1.0
TARGET_PANDAS_X = 10.0
TARGET_SQLITE_X = 15.0
TARGET_PEAK_BYTES = 1.5e9      # 1.5 GB; the tables print MB = 10^6 bytes
TARGET_ROWS = 10_000_000


def log(msg=""):
    print(msg, flush=True)


def die(msg):
    print("summary.py: error: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


# ---------------------------------------------------------------------------------------------
# The machine


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def mem_total_bytes():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def machine_info():
    return {
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model(),
        "mem_total_bytes": mem_total_bytes(),
        "kernel": os.uname().release,
        "loadavg_before": list(os.getloadavg()),
    }


# ---------------------------------------------------------------------------------------------
# Child processes, measured one by one


def run_child(argv, stdin_path=None, stdout_path=os.devnull, stderr_path=os.devnull, env=None):
    """Runs argv as one child; returns (exit code, wall s, peak RSS bytes, cpu s) of that child."""
    fin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    fout = open(stdout_path, "wb")
    ferr = open(stderr_path, "wb")
    try:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=ferr, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)   # reaped here, not by Popen
    finally:
        for f in (fin, fout, ferr):
            if f is not subprocess.DEVNULL:
                f.close()
    return p.returncode, wall, ru.ru_maxrss * 1024, ru.ru_utime + ru.ru_stime


def tail(path, n=2000):
    try:
        with open(path, "rb") as f:
            data = f.read()
        return data[-n:].decode("utf-8", "replace").strip()
    except OSError:
        return ""


# ---------------------------------------------------------------------------------------------
# rebuy and the input


def find_rebuy(args):
    if args.rebuy:
        path = os.path.abspath(args.rebuy)
        if not os.access(path, os.X_OK):
            die("--rebuy %s is not an executable" % path)
        return path
    build = os.path.abspath(os.path.join(ROOT, args.build_dir))
    cmake = shutil.which("cmake")
    if not args.no_build:
        if not cmake:
            die("cmake not found: install cmake or give --rebuy PATH")
        log("building rebuy in %s" % build)
        if not os.path.exists(os.path.join(build, "CMakeCache.txt")):
            subprocess.run([cmake, "-S", ROOT, "-B", build], check=True,
                           stdout=subprocess.DEVNULL)
        subprocess.run([cmake, "--build", build, "-j", "--target", "rebuy"], check=True,
                       stdout=subprocess.DEVNULL)
    path = os.path.join(build, "rebuy")
    if not os.access(path, os.X_OK):
        die("%s not found (build it, or give --rebuy PATH)" % path)
    return path


def shown(path):
    """A path as printed: relative to the repository when inside it."""
    rel = os.path.relpath(path, ROOT)
    return path if rel.startswith("..") else rel


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return n
            n += b.count(b"\n")


def input_file(args, rebuy):
    customers = (CUSTOMERS_AT_10M if args.rows == TARGET_ROWS
                 else max(1, round(args.rows / ROWS_PER_CUSTOMER)))
    params = [("customers", str(customers))] + GEN
    key = "-".join("%s%s" % (k.replace("acquisition-weeks", "aw"), v) for k, v in params)
    data_dir = os.path.abspath(args.data_dir)
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, "orders-%s.csv" % key)
    meta_path = path + ".json"
    argv = [rebuy, "gen"]
    for k, v in params:
        argv += ["--" + k, v]
    argv += ["--quiet", "-o", path]
    meta = None
    if os.path.exists(path) and os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get("bytes") != os.path.getsize(path):
            meta = None
    if meta is None:
        log("generating %s" % path)
        t0 = time.perf_counter()
        r = subprocess.run(argv)
        if r.returncode != 0:
            die("rebuy gen failed (exit %d): %s" % (r.returncode, " ".join(argv)))
        meta = {
            "command": " ".join(["rebuy"] + argv[1:-1] + [shown(path)]),
            "params": dict(params),
            "rows": count_lines(path) - 1,
            "bytes": os.path.getsize(path),
            "generated_by": subprocess.run([rebuy, "--version"], capture_output=True,
                                           text=True).stdout.strip(),
            "seconds": round(time.perf_counter() - t0, 3),
        }
        with open(meta_path, "w") as f:
            json.dump(meta, f, indent=1)
    else:
        log("using cached %s" % path)
    meta["path"] = path
    off = abs(meta["rows"] - args.rows) / args.rows
    log("input: %d rows, %d customers simulated, %.0f MB (%s)"
        % (meta["rows"], customers, meta["bytes"] / 1e6, meta["command"]))
    if off > 0.02:
        log("WARNING: %d rows is %.1f%% off the requested %d" % (meta["rows"], off * 100,
                                                                    args.rows))
    return meta


def warm_page_cache(path):
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


# ---------------------------------------------------------------------------------------------
# The tools: each has argv/stdin for one run and a parser of its output into common totals


def cents(x):
    return int((Decimal(str(x)) * 100).to_integral_value())


def parse_rebuy(out_path):
    with open(out_path) as f:
        d = json.load(f, parse_float=Decimal)
    n = int(d["customers"])
    totals = {
        "customers": n,
        "orders": int(d["orders"]),
        "revenue_cents": cents(d["revenue"]),
        "repeat_customers": int(d["repeat_customers"]),
        "repeat_day_customers": int((d["repeat_purchase_rate_days"] * n).to_integral_value()),
        "aov": float(d["aov"]),
        "first_purchase": d["first_purchase"],
        "last_purchase": d["last_purchase"],
    }
    months = [{"month": p["period"], "E": int(p["E"]), "N": int(p["N"]),
               "orders": int(p["orders"]), "revenue_cents": cents(p["revenue"])}
              for p in d["periods"]]
    return {"totals": totals, "months": months}


def parse_pandas(out_path):
    with open(out_path) as f:
        d = json.load(f)
    return {"totals": d["totals"], "months": d["months"], "timings": d.get("timings"),
            "version": d.get("version")}


def parse_sqlite(out_path):
    totals, months, new = None, {}, {}
    with open(out_path) as f:
        for line in f:
            c = line.rstrip("\r\n").split(",")
            if c[0] == "totals":
                totals = {
                    "customers": int(c[1]), "orders": int(c[2]), "revenue_cents": int(c[3]),
                    "repeat_customers": int(c[4]), "repeat_day_customers": int(c[5]),
                    "aov": float(c[6]), "first_purchase": c[7], "last_purchase": c[8],
                }
            elif c[0] == "month":
                months[c[1]] = {"month": c[1], "E": int(c[2]), "N": 0, "orders": int(c[3]),
                                "revenue_cents": int(c[4])}
            elif c[0] == "new":
                new[c[1]] = int(c[2])
    if totals is None:
        raise ValueError("no totals line in sqlite3 output")
    for m, n in new.items():
        months.setdefault(m, {"month": m, "E": 0, "N": 0, "orders": 0, "revenue_cents": 0})
        months[m]["N"] = n
    return {"totals": totals, "months": [months[m] for m in sorted(months)]}


class Tool:
    def __init__(self, name, argv, parse, stdin=None, env=None, out_name=None, prepare=None):
        self.name, self.argv, self.parse = name, argv, parse
        self.stdin, self.env, self.out_name, self.prepare = stdin, env, out_name, prepare
        self.runs = []          # dicts: wall, rss, cpu
        self.result = None      # parsed output of the first run
        self.extra = []         # per-run extra (phase timings)
        self.error = None


def make_tools(args, rebuy, input_path, tmp):
    tools = []
    env = dict(os.environ, REBUY_TIMINGS="1")
    rebuy_out = os.path.join(tmp, "rebuy.json")
    threads = ["--threads", str(args.threads)] if args.threads else []
    tools.append(Tool("rebuy", [rebuy, "summary", input_path] + threads
                      + ["--format", "json", "--quiet", "-o", rebuy_out],
                      parse_rebuy, env=env, out_name=rebuy_out))
    if not args.no_threads1:
        out1 = os.path.join(tmp, "rebuy-t1.json")
        tools.append(Tool("rebuy --threads 1",
                          [rebuy, "summary", input_path, "--threads", "1", "--format", "json",
                           "--quiet", "-o", out1], parse_rebuy, env=env, out_name=out1))
    skipped = []

    sqlite = shutil.which(args.sqlite) if args.sqlite else None
    if args.skip_sqlite:
        skipped.append("sqlite3: skipped (--skip-sqlite)")
    elif not sqlite:
        skipped.append("sqlite3: SKIPPED, not installed (apt-get install sqlite3)")
    else:
        with open(os.path.join(PEERS, "summary_sqlite.sql")) as f:
            sql = f.read()
        sq_out = os.path.join(tmp, "sqlite.csv")
        script = os.path.join(tmp, "summary.sql")
        with open(script, "w") as f:
            f.write(sql.replace("@INPUT@", input_path.replace("'", "''"))
                    .replace("@OUTPUT@", sq_out.replace("'", "''")))
        if args.sqlite_db == "disk":
            db = os.path.join(tmp, "bench.db")

            def prepare(db=db):
                for suffix in ("", "-journal", "-wal", "-shm"):
                    if os.path.exists(db + suffix):
                        os.remove(db + suffix)
            argv = [sqlite, "-batch", "-cmd", "PRAGMA journal_mode=OFF",
                    "-cmd", "PRAGMA synchronous=OFF", db]
        else:
            prepare = None
            argv = [sqlite, "-batch", ":memory:"]
        tools.append(Tool("sqlite3", argv, parse_sqlite, stdin=script, out_name=sq_out,
                          prepare=prepare))

    py = args.python
    if args.skip_pandas:
        skipped.append("pandas: skipped (--skip-pandas)")
    elif not (os.access(py, os.X_OK)
              and subprocess.run([py, "-c", "import pandas"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL).returncode == 0):
        skipped.append("pandas: SKIPPED, %s cannot import pandas (apt-get install python3-pandas)"
                       % py)
    else:
        pd_out = os.path.join(tmp, "pandas.json")
        tools.append(Tool("pandas", [py, os.path.join(PEERS, "summary_pandas.py"), input_path,
                                     pd_out], parse_pandas, out_name=pd_out))
    return tools, skipped


def tool_versions(args, rebuy):
    v = {"rebuy": subprocess.run([rebuy, "--version"], capture_output=True,
                                 text=True).stdout.strip()}
    sq = shutil.which(args.sqlite) if args.sqlite else None
    if sq:
        v["sqlite3"] = subprocess.run([sq, "--version"], capture_output=True,
                                      text=True).stdout.split(" ")[0]
    if os.access(args.python, os.X_OK):
        r = subprocess.run([args.python, "-c", "import sys, pandas, numpy; print(sys.version"
                            ".split()[0], pandas.__version__, numpy.__version__)"],
                           capture_output=True, text=True)
        if r.returncode == 0:
            py, pd, np = r.stdout.split()
            v["python"], v["pandas"], v["numpy"] = py, pd, np
    return v


def cross_check_rss(tools, tmp):
    """One more rebuy run under /usr/bin/time (which forks it from a small process), to
    confirm the wait4 peak; returns its peak in bytes, or None."""
    gnu_time = "/usr/bin/time"
    t = next((t for t in tools if t.name == "rebuy" and t.runs), None)
    if t is None or not os.access(gnu_time, os.X_OK):
        return None
    out = os.path.join(tmp, "time.txt")
    rc = run_child([gnu_time, "-f", "%M", "-o", out] + t.argv, env=t.env)[0]
    try:
        with open(out) as f:
            kb = int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        return None
    if rc != 0:
        return None
    log("cross-check: /usr/bin/time reports %.1f MB peak for one more rebuy run"
        % (kb * 1024 / 1e6))
    return kb * 1024


def parse_rebuy_timings(stderr_text):
    # "rebuy: timings: read 0.123 s, group 0.067 s; memory ..."
    for line in stderr_text.splitlines():
        if "timings:" in line:
            out = {}
            for part in line.split("timings:", 1)[1].split(","):
                w = part.split()
                if len(w) >= 2:
                    try:
                        out[w[0]] = float(w[1])
                    except ValueError:
                        pass
            return out
    return None


# ---------------------------------------------------------------------------------------------
# Checks: the peers must do the same job


def compare(ref, other, name):
    """Returns (core_ok, lines)."""
    lines, core_ok = [], True
    a, b = ref["totals"], other["totals"]
    for k in ("customers", "orders", "revenue_cents"):
        ok = a[k] == b[k]
        core_ok &= ok
        lines.append("  %-22s rebuy %-14s %-8s %-14s %s" % (k, a[k], name, b[k],
                                                             "ok" if ok else "MISMATCH"))
    for k in ("repeat_customers", "repeat_day_customers", "first_purchase", "last_purchase"):
        ok = a[k] == b[k]
        lines.append("  %-22s rebuy %-14s %-8s %-14s %s" % (k, a[k], name, b[k],
                                                             "ok" if ok else "MISMATCH"))
    ok = abs(a["aov"] - b["aov"]) <= 1e-9 * max(1.0, abs(a["aov"]))
    lines.append("  %-22s rebuy %-14.6f %-8s %-14.6f %s" % ("aov", a["aov"], name, b["aov"],
                                                             "ok" if ok else "MISMATCH"))
    ma = {m["month"]: m for m in ref["months"]}
    mb = {m["month"]: m for m in other["months"]}
    bad = []
    for m in sorted(set(ma) | set(mb)):
        x, y = ma.get(m), mb.get(m)
        if x is None or y is None:
            bad.append("%s only in %s" % (m, "rebuy" if y is None else name))
            continue
        for k in ("E", "N", "orders", "revenue_cents"):
            if x[k] != y[k]:
                bad.append("%s %s: rebuy %s, %s %s" % (m, k, x[k], name, y[k]))
    lines.append("  %-22s %d months, active (E), new (N), orders, revenue: %s"
                 % ("monthly", len(ma), "ok" if not bad else "MISMATCH"))
    for b_ in bad[:10]:
        lines.append("    " + b_)
    if len(bad) > 10:
        lines.append("    ... %d more" % (len(bad) - 10))
    return core_ok, lines


# ---------------------------------------------------------------------------------------------


def median(xs):
    return statistics.median(xs) if xs else None


def main():
    ap = argparse.ArgumentParser(
        description="rebuy summary vs sqlite3 and pandas on the same generated input.")
    ap.add_argument("--rows", type=int, default=TARGET_ROWS,
                    help="input rows (default 10,000,000; customers scale with it)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per tool (default 5)")
    ap.add_argument("--rebuy", help="the rebuy executable (default: build it in --build-dir)")
    ap.add_argument("--build-dir", default="build",
                    help="where to build rebuy, relative to the repository (default build)")
    ap.add_argument("--no-build", action="store_true",
                    help="use --build-dir/rebuy as it is")
    ap.add_argument("--data-dir", default=os.path.join(BENCH, "data"),
                    help="where the generated input is cached (default bench/data)")
    ap.add_argument("--results-dir", default=os.path.join(BENCH, "results"),
                    help="where the JSON results go (default bench/results)")
    ap.add_argument("--sqlite", default="sqlite3", help="the sqlite3 CLI (default: on PATH)")
    ap.add_argument("--sqlite-db", choices=("memory", "disk"), default="memory",
                    help="sqlite3 database: a fresh :memory: one (default) or a fresh file")
    ap.add_argument("--python", default="/usr/bin/python3",
                    help="the interpreter for the pandas peer (default /usr/bin/python3)")
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument("--no-threads1", action="store_true", help="skip rebuy --threads 1")
    ap.add_argument("--threads", type=int,
                    help="--threads for the main rebuy row (default: rebuy's own default, "
                    "one thread per online CPU)")
    ap.add_argument("--cpus", help="pin this process and its children to these CPUs, "
                    "e.g. 0,1 for the 2-core target on a bigger machine (rebuy's default "
                    "thread count follows the online CPUs, not the pinning: add --threads 2)")
    args = ap.parse_args()
    if args.rows < 1 or args.repeat < 1 or (args.threads is not None and args.threads < 1):
        die("--rows, --repeat and --threads must be >= 1")

    if args.cpus:
        cpus = set()
        for part in args.cpus.split(","):
            lo, _, hi = part.partition("-")
            cpus.update(range(int(lo), int(hi or lo) + 1))
        os.sched_setaffinity(0, cpus)

    machine = machine_info()
    log("machine: %d CPUs online (%d usable here), %s, %.1f GB RAM, Linux %s"
        % (machine["nproc"], machine["cpus_usable"], machine["cpu_model"],
           (machine["mem_total_bytes"] or 0) / 1e9, machine["kernel"]))
    la = machine["loadavg_before"]
    log("load average before: %.2f %.2f %.2f" % tuple(la))
    if la[0] > 0.5:
        log("WARNING: load average %.2f > 0.5: the machine is busy, timings are noisy "
            "(ratios in one run are still comparable)" % la[0])
    if machine["cpus_usable"] != 2:
        log("note: the wall-time target is for a 2-core machine; this run has %d usable CPUs "
            "(--cpus 0,1 pins to two)" % machine["cpus_usable"])

    rebuy = find_rebuy(args)
    versions = tool_versions(args, rebuy)
    log("tools: " + ", ".join("%s %s" % kv for kv in versions.items()))
    meta = input_file(args, rebuy)
    warm_page_cache(meta["path"])

    tmp = tempfile.mkdtemp(prefix="rebuy-bench-")
    failed = False
    cross = None
    try:
        tools, skipped = make_tools(args, rebuy, meta["path"], tmp)
        for s in skipped:
            log(s)
        floor = run_child(["true"])[2]
        log("spawn floor: %.1f MB peak RSS for /bin/true started the same way (a child's "
            "ru_maxrss starts at this harness's own; peaks above it are the tool's own)"
            % (floor / 1e6))
        log("running %d round(s) of: %s" % (args.repeat, ", ".join(t.name for t in tools)))
        for i in range(args.repeat):
            for t in tools:
                if t.error:
                    continue
                if t.prepare:
                    t.prepare()
                if t.out_name and os.path.exists(t.out_name):
                    os.remove(t.out_name)
                err_path = os.path.join(tmp, "stderr.txt")
                rc, wall, rss, cpu = run_child(t.argv, stdin_path=t.stdin,
                                               stderr_path=err_path, env=t.env)
                if rc != 0:
                    t.error = "exit %d: %s" % (rc, tail(err_path))
                    log("  %-18s run %d FAILED (%s)" % (t.name, i + 1, t.error))
                    failed = True
                    continue
                try:
                    res = t.parse(t.out_name)
                except (OSError, ValueError, KeyError, TypeError) as e:
                    t.error = "cannot read its output: %s" % e
                    log("  %-18s run %d FAILED (%s)" % (t.name, i + 1, t.error))
                    failed = True
                    continue
                if t.result is None:
                    t.result = res
                elif (res["totals"], res["months"]) != (t.result["totals"], t.result["months"]):
                    t.error = "run %d computed other totals than run 1" % (i + 1)
                    log("  %-18s %s" % (t.name, t.error))
                    failed = True
                extra = (parse_rebuy_timings(tail(err_path)) if t.name.startswith("rebuy")
                         else res.get("timings"))
                t.extra.append(extra)
                t.runs.append({"wall_s": wall, "peak_rss_bytes": rss, "cpu_s": cpu})
                log("  %-18s run %d: %7.3f s wall, %7.3f s cpu, %7.1f MB peak"
                    % (t.name, i + 1, wall, cpu, rss / 1e6))
        cross = cross_check_rss(tools, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = list(os.getloadavg())

    # Checks
    ref = next((t for t in tools if t.name == "rebuy" and t.result), None)
    checks = {}
    mismatch = False
    if ref:
        log("")
        log("check: the tools agree (otherwise it is not the same job)")
        for t in tools:
            if t is ref or not t.result:
                continue
            ok, lines = compare(ref.result, t.result, t.name.split()[0]
                                if t.name != "rebuy --threads 1" else "rebuy-t1")
            log("%s vs rebuy: customers, orders, revenue to the cent %s"
                % (t.name, "AGREE" if ok else "DISAGREE"))
            for line in lines:
                log(line)
            checks[t.name] = {"core_agree": ok, "details": lines}
            mismatch |= not ok

    # Table
    summary = {}
    base = median([r["wall_s"] for r in ref.runs]) if ref and ref.runs else None
    log("")
    log("%d rows, %s; medians of %d runs; ratio = tool's median wall / rebuy's"
        % (meta["rows"], os.path.basename(meta["path"]), args.repeat))
    hdr = "%-18s %4s %9s %9s %9s %9s %10s %9s" % ("tool", "runs", "median s", "min s", "max s",
                                                   "cpu s", "peak MB", "x rebuy")
    log(hdr)
    log("-" * len(hdr))
    for t in tools:
        if not t.runs:
            log("%-18s %s" % (t.name, "no successful run: " + (t.error or "?")))
            continue
        walls = [r["wall_s"] for r in t.runs]
        s = {
            "runs": len(walls),
            "wall_s_median": median(walls),
            "wall_s_min": min(walls),
            "wall_s_max": max(walls),
            "cpu_s_median": median([r["cpu_s"] for r in t.runs]),
            "peak_rss_bytes_median": median([r["peak_rss_bytes"] for r in t.runs]),
            "ratio_wall_vs_rebuy": (median(walls) / base) if base else None,
            "all_runs": t.runs,
            "argv": t.argv,
        }
        ex = [e for e in t.extra if e]
        if ex:
            s["phases_s_median"] = {k: median([e[k] for e in ex if k in e]) for k in ex[0]}
        if t.error:
            s["error"] = t.error
        summary[t.name] = s
        log("%-18s %4d %9.3f %9.3f %9.3f %9.3f %10.1f %9s"
            % (t.name, s["runs"], s["wall_s_median"], s["wall_s_min"], s["wall_s_max"],
               s["cpu_s_median"], s["peak_rss_bytes_median"] / 1e6,
               "%.2f" % s["ratio_wall_vs_rebuy"] if base else "-"))
    for name, s in summary.items():
        if "phases_s_median" in s:
            log("  %s phases (median s): %s" % (name, ", ".join(
                "%s %.3f" % kv for kv in s["phases_s_median"].items())))

    # Verdicts
    log("")
    scale = ("" if meta["rows"] >= TARGET_ROWS * 0.98 and meta["rows"] <= TARGET_ROWS * 1.02
             else " [targets are for 10M rows; this run has %d: indicative only]" % meta["rows"])
    verdicts = {}

    def verdict(key, text, ok):
        verdicts[key] = {"text": text, "met": ok}
        log("target %s: %s" % (text, "not measured" if ok is None else
                                ("MET" if ok else "NOT MET")) + scale)

    r = summary.get("rebuy")
    w = r["wall_s_median"] if r else None
    verdict("wall", "rebuy wall <= %.1f s (median %s, %d usable CPUs)"
            % (TARGET_WALL_S, "%.3f s" % w if w else "-", machine["cpus_usable"]),
            None if w is None else w <= TARGET_WALL_S)
    for peer, x in (("pandas", TARGET_PANDAS_X), ("sqlite3", TARGET_SQLITE_X)):
        p = summary.get(peer)
        ratio = p["ratio_wall_vs_rebuy"] if (p and r) else None
        verdict(peer, ">= %.0fx faster than %s (%s)"
                % (x, peer, "%.1fx" % ratio if ratio else "not run"),
                None if ratio is None else ratio >= x)
    m = r["peak_rss_bytes_median"] if r else None
    verdict("memory", "rebuy peak memory <= %.1f GB (median %s)"
            % (TARGET_PEAK_BYTES / 1e9, "%.0f MB" % (m / 1e6) if m else "-"),
            None if m is None else m <= TARGET_PEAK_BYTES)
    log("load average after: %.2f %.2f %.2f" % tuple(load_after))
    if mismatch:
        log("ERROR: the tools disagree on customers, orders or revenue: the ratios compare "
            "different jobs")

    # Results
    os.makedirs(args.results_dir, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    res_path = os.path.join(args.results_dir, "summary-%s.json" % stamp)
    doc = {
        "benchmark": "rebuy summary vs sqlite3 and pandas",
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([shown(os.path.abspath(sys.argv[0]))] + sys.argv[1:]),
        "machine": dict(machine, loadavg_after=load_after),
        "versions": versions,
        "input": {k: meta[k] for k in ("command", "params", "rows", "bytes")},
        "repeat": args.repeat,
        "sqlite_db": args.sqlite_db,
        "rebuy_threads": args.threads or "default",
        "cpus": args.cpus,
        "skipped": skipped,
        "tools": summary,
        "checks": checks,
        "targets": verdicts,
        "rebuy_peak_rss_bytes_by_gnu_time": cross,
        "totals": ref.result["totals"] if ref and ref.result else None,
    }
    with open(res_path, "w") as f:
        json.dump(doc, f, indent=1)
    log("results: %s" % shown(res_path))
    return 1 if (failed or mismatch) else 0


if __name__ == "__main__":
    sys.exit(main())
