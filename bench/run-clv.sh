#!/bin/sh
# Customer-lifetime model fits and predictions on 1,000,000 generated customers
# (the orders of bench/run-summary.sh's default input), timed by bench/clv_bench.c
# from the orders already loaded; medians of --repeat runs (default 5).
# The peer run in the same session is a BG/NBD fit in base R (bench/peers/bgnbd_fit.R,
# optim as BTYD and lifetimes use it) when Rscript is there (as root, --install-r runs
# apt-get install -y r-base-core). CLVTools, BTYD and lifetimes are not Debian packages;
# their times on this kind of machine are the ones of ../shared/reference/clv.md, printed
# beside as such.
# Usage: bench/run-clv.sh [--repeat N] [--customers N] [--install-r]
set -eu
cd "$(dirname "$0")/.."
repeat=5 customers=1000000 install_r=0
while [ $# -gt 0 ]; do
	case "$1" in
	--repeat) repeat=$2; shift 2 ;;
	--customers) customers=$2; shift 2 ;;
	--install-r) install_r=1; shift ;;
	*) echo "run-clv.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ "$install_r" = 1 ] && ! command -v Rscript >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y r-base-core
fi
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j --target rebuy rebuy_lib >/dev/null
cc -O2 -Iinclude -o build-release/clv_bench bench/clv_bench.c build-release/librebuy.a \
	-lz -lxxhash -lm -lpthread
mkdir -p bench/data bench/results
data="bench/data/orders-customers$customers-r2-alpha12.5-s1.5-beta150-weeks104-aw52-seed7.csv"
if [ ! -f "$data" ]; then
	build-release/rebuy gen --customers "$customers" --r 2 --alpha 12.5 --s 1.5 --beta 150 \
		--weeks 104 --acquisition-weeks 52 --seed 7 --quiet -o "$data"
fi
out="bench/results/clv-$(date -u +%Y-%m-%d-%H%M%S).json"
summary="bench/data/clv-summary-$customers.csv"
echo "input: $data ($(nproc) CPUs), $repeat runs each"
build-release/clv_bench "$data" --repeat "$repeat" --summary-out "$summary" | tee "$out"
if command -v Rscript >/dev/null 2>&1; then
	Rscript bench/peers/bgnbd_fit.R "$summary" | tee -a "$out"
else
	echo "(no Rscript: the R peer is skipped; as root: bench/run-clv.sh --install-r)"
fi
/usr/bin/python3 - "$out" "$customers" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
get = lambda **k: next((r for r in rows if all(r.get(a) == b for a, b in k.items())), None)
ref = {"pnbd": ("CLVTools", 11.0, 1.0), "bgnbd": ("CLVTools 8 s, lifetimes", 7.6, 0.5)}
print("\nmodel   fit s  target   peer (reference/clv.md, same machine kind)   predict s (target 0.2)")
for m in ("pnbd", "bgnbd"):
    f, p = get(step="fit", model=m), get(step="predict", model=m)
    name, peer, target = ref[m]
    print(f"{m:6} {f['seconds']:6.3f}  <= {target:.1f}   {name} {peer:.1f} s: {peer / f['seconds']:.1f}x"
          f"   {p['seconds']:.3f}")
r = get(peer="R optim")
if r:
    f = get(step="fit", model="bgnbd")
    print(f"bgnbd in base R (same run): {r['seconds']:.3f} s, LL {r['log_likelihood']:.3f} "
          f"vs rebuy {f['log_likelihood']:.3f}: rebuy {r['seconds'] / f['seconds']:.1f}x faster")
PY
