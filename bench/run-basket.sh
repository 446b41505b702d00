#!/bin/sh
# Frequent itemset mining (rebuy_baskets_read_fimi + rebuy_itemsets_mine) on two FIMI data
# sets of ../shared/data/basket: retail.dat at absolute support 9 (240,852 itemsets) and
# T10I4D100K.dat at 10 (411,365). bench/basket_bench.c runs every repetition as a fresh
# process (a one-shot run pays its page faults, as the peers' runs did) and prints medians of
# --repeat runs (default 5) for counts only and for every itemset written as CSV to a file.
# Beside them: the targets (read + mine <= 0.3 s counting, <= 0.6 s writing) and the wall_s of
# Borgelt's fpgrowth on this kind of machine from ../shared/reference/basket_itemset_counts.tsv
# (a whole process: start, read, mine, output).
# Usage: bench/run-basket.sh [--repeat N] [--threads N] [--build-dir DIR] [--shared DIR]
set -eu
cd "$(dirname "$0")/.."
repeat=5 threads=0 build=build-release shared=../shared
while [ $# -gt 0 ]; do
	case "$1" in
	--repeat) repeat=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--build-dir) build=$2; shift 2 ;;
	--shared) shared=$2; shift 2 ;;
	*) echo "run-basket.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
data="$shared/data/basket"
ref="$shared/reference/basket_itemset_counts.tsv"
for f in "$data/retail.dat" "$data/T10I4D100K.dat" "$ref"; do
	[ -f "$f" ] || { echo "run-basket.sh: $f is missing (--shared DIR)" >&2; exit 1; }
done
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j --target rebuy_lib >/dev/null
cc -O2 -Iinclude -o "$build/basket_bench" bench/basket_bench.c "$build/librebuy.a" \
	-lz -lxxhash -lm -lpthread
mkdir -p bench/results
out="bench/results/basket-$(date -u +%Y-%m-%d-%H%M%S).json"
echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared:" \
	"above 0.5 the times are inflated); $repeat runs each, --threads $threads"
for case in "retail.dat 9" "T10I4D100K.dat 10"; do
	set -- $case
	cat "$data/$1" >/dev/null # from the page cache, as the peer's runs were
	"$build/basket_bench" "$data/$1" "$2" --repeat "$repeat" --threads "$threads" \
		--out "$build/basket-bench.csv" | tee -a "$out"
done
/usr/bin/python3 - "$out" "$ref" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ref = {}
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("\t")
    if f[0] != "dataset" and f[2] == "fpgrowth" and f[3] == "s":
        ref[(f[0], int(f[4]))] = (float(f[7]), int(f[6]))
print("\ndata          minsup  mode   itemsets   read s  mine s  read+mine s  target   "
      "process s  peak MB  fpgrowth wall_s (ref)")
for r in rows:
    name = r["data"].rsplit("/", 1)[-1].removesuffix(".dat")
    target = 0.3 if r["mode"] == "count" else 0.6
    wall, n = ref.get((name, r["minsup"]), (float("nan"), 0))
    verdict = "MET" if r["read_mine_s"] <= target else "NOT MET"
    check = "" if n == r["itemsets"] else f"  (reference counts {n}!)"
    print(f"{name:13} {r['minsup']:6}  {r['mode']:5} {r['itemsets']:9}   {r['read_s']:.3f}   "
          f"{r['mine_s']:.3f}   {r['read_mine_s']:.3f}       <= {target:.1f} {verdict:7}  "
          f"{r['process_s']:.3f}     {r['peak_bytes'] / 1e6:6.1f}   {wall:.2f}{check}")
PY
echo "results: $out"
