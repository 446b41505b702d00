#!/bin/sh
# Attribution of 10,000 paths with every model (`rebuy attribute --paths`), against a
# numpy/pandas implementation of the same models in the same run (there is no
# ChannelAttribution package in Debian). Input: ../shared/data/attribution/PathData.csv
# (10,000 paths, 59,454 touches, 12 channels). bench/attribute_bench.c times the library as
# the command runs it, from the file's bytes in memory: table read, paths read, the models
# (five heuristics and the exact first-order Markov chain); bench/peers/attribute_numpy.py
# times pandas.read_csv of the same bytes, splitting the paths, and the same models (Markov by
# numpy.linalg.solve per removed channel). Both print medians of --repeat runs (default 21)
# after a warm-up inside their own process; the two tools alternate for --rounds rounds
# (default 3) and the table shows the median of the rounds' medians. The credits of the two
# must agree (relative 1e-9), else the exit status is 1.
# Target (issue 9): 10,000 paths attributed with all models in <= 0.05 s.
# Usage: bench/run-attribute.sh [--repeat N] [--rounds N] [--build-dir DIR] [--shared DIR]
set -eu
cd "$(dirname "$0")/.."
repeat=21 rounds=3 build=build-release shared=../shared
while [ $# -gt 0 ]; do
	case "$1" in
	--repeat) repeat=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--build-dir) build=$2; shift 2 ;;
	--shared) shared=$2; shift 2 ;;
	*) echo "run-attribute.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
paths="$shared/data/attribution/PathData.csv"
[ -f "$paths" ] || { echo "run-attribute.sh: $paths is missing (--shared DIR)" >&2; exit 1; }
/usr/bin/python3 -c 'import numpy, pandas' 2>/dev/null ||
	{ echo "run-attribute.sh: the peer needs python3-numpy and python3-pandas" >&2; exit 1; }
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j --target rebuy_lib >/dev/null
cc -O2 -Iinclude -o "$build/attribute_bench" bench/attribute_bench.c "$build/librebuy.a" \
	-lz -lxxhash -lm -lpthread
mkdir -p bench/results
out="bench/results/attribute-$(date -u +%Y-%m-%d-%H%M%S).json"
echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared:" \
	"above 0.5 the times are inflated); $rounds rounds of $repeat runs each"
i=0
while [ $i -lt "$rounds" ]; do
	"$build/attribute_bench" "$paths" --repeat "$repeat" >>"$out"
	/usr/bin/python3 bench/peers/attribute_numpy.py "$paths" --repeat "$repeat" >>"$out"
	i=$((i + 1))
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
by = {}
for r in rows:
    by.setdefault(r["tool"], []).append(r)
med = {t: {k: statistics.median(r[k] for r in rs)
           for k in ("table_s", "paths_s", "models_s", "total_s")} for t, rs in by.items()}
print(f"\n{'tool':7} {'paths':>6} {'touches':>8} {'read s':>8} {'paths s':>8} {'models s':>9} "
      f"{'total s':>8} {'x rebuy':>8}")
base = med["rebuy"]["total_s"]
for t in ("rebuy", "numpy"):
    r, m = by[t][0], med[t]
    print(f"{t:7} {r['paths']:6} {r['touches']:8} {m['table_s']:8.4f} {m['paths_s']:8.4f} "
          f"{m['models_s']:9.4f} {m['total_s']:8.4f} {m['total_s'] / base:8.1f}")
print(f"models only: numpy / rebuy = {med['numpy']['models_s'] / med['rebuy']['models_s']:.1f}")
a, b = by["rebuy"][0]["credits"], by["numpy"][0]["credits"]
worst = max(abs(x - y) / max(1.0, abs(y)) for c in a for x, y in zip(a[c], b[c]))
ok = set(a) == set(b) and worst <= 1e-9
print(f"credits agree: {'yes' if ok else 'NO'} (largest relative difference {worst:.2e})")
verdict = "MET" if base <= 0.05 else "NOT MET"
print(f"target: 10,000 paths, all models, <= 0.05 s: {base:.4f} s {verdict}")
sys.exit(0 if ok else 1)
PY
echo "results: $out"
