#!/bin/sh
# A 100M-row per-customer summary on one machine, streamed: `rebuy gen` writes
# the orders to a pipe and `rebuy summary --customers -` reads them, so no
# file of the orders is ever written. Prints the rows read, the wall time and
# the peak resident memory of the summary process (GNU time's -v, which reads
# wait4's ru_maxrss), then the thread scaling of `summary --customers` on a
# smaller file (1 and 2 threads, or --threads-list "1 2 16").
#
#   bench/run-100m.sh                      # 12.4M customers, about 100M orders
#   bench/run-100m.sh --customers 1240000  # a tenth, for a quick look
#   bench/run-100m.sh --file               # also: write the orders to a file first
#                                          # (about 4 GB in $TMPDIR) and time the summary alone
#
# The generated shop: 12.4M customers acquired over the first year of five
# (--weeks 260 --acquisition-weeks 52), purchase rate shape r = 1.1: about
# 8 orders a customer, one line per order. On a machine shared with other
# work the times are upper bounds.
set -eu
cd "$(dirname "$0")/.."
customers=12400000
small=1240000
threads_list="1 2"
file_too=0
build=${REBUY_BUILD:-build}
while [ $# -gt 0 ]; do
	case "$1" in
	--customers) customers=$2; shift 2 ;;
	--small) small=$2; shift 2 ;;
	--threads-list) threads_list=$2; shift 2 ;;
	--file) file_too=1; shift ;;
	*) echo "usage: bench/run-100m.sh [--customers N] [--small N] [--threads-list LIST]" >&2; exit 2 ;;
	esac
done
[ -x /usr/bin/time ] || { echo "run-100m.sh: needs GNU time (apt-get install -y time)" >&2; exit 1; }
if [ ! -x "$build/rebuy" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build" -j "$(nproc)" >/dev/null
fi
rebuy=$build/rebuy
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
gen="$rebuy gen --customers $customers --weeks 260 --acquisition-weeks 52 --r 1.1 --seed 11"

echo "== streamed: $gen | rebuy summary --customers -"
start=$(date +%s.%N)
$gen | /usr/bin/time -v -o "$tmp/time" "$rebuy" summary --customers --quiet - -o "$tmp/customers.csv"
end=$(date +%s.%N)
rows=$(awk -F, 'NR > 1 { n += $2 } END { printf "%d", n }' "$tmp/customers.csv")
ncust=$(($(wc -l <"$tmp/customers.csv") - 1))
rss=$(awk -F': ' '/Maximum resident/ { print $2 }' "$tmp/time")
wall=$(awk -F': ' '/Elapsed/ { print $2 }' "$tmp/time")
echo "orders (rows) summarized: $rows"
echo "customers: $ncust"
echo "summary wall time (m:ss): $wall   pipeline wall seconds: $(echo "$end - $start" | bc)"
echo "summary peak RSS: $rss kB ($(echo "scale=2; $rss / 1048576" | bc) GiB)"
rm -f "$tmp/customers.csv"

if [ $file_too = 1 ]; then
	echo "== from a file: the generator's time left out"
	$gen -o "$tmp/orders100m.csv"
	echo "file: $(du -h "$tmp/orders100m.csv" | cut -f1)"
	/usr/bin/time -v -o "$tmp/time" "$rebuy" summary --customers --quiet "$tmp/orders100m.csv" \
		-o "$tmp/customers.csv"
	rss=$(awk -F': ' '/Maximum resident/ { print $2 }' "$tmp/time")
	echo "summary alone: wall (m:ss) $(awk -F': ' '/Elapsed/ { print $2 }' "$tmp/time"), peak RSS $rss kB ($(echo "scale=2; $rss / 1048576" | bc) GiB)"
	rm -f "$tmp/orders100m.csv" "$tmp/customers.csv"
fi

echo "== thread scaling: summary --customers on a file of $small customers"
$rebuy gen --customers "$small" --weeks 260 --acquisition-weeks 52 --r 1.1 --seed 11 -o "$tmp/orders.csv"
n=$(($(wc -l <"$tmp/orders.csv") - 1))
for t in $threads_list; do
	best=""
	for _ in 1 2 3; do
		/usr/bin/time -f %e -o "$tmp/t" "$rebuy" summary --customers --quiet --threads "$t" \
			"$tmp/orders.csv" -o "$tmp/c$t.csv"
		s=$(cat "$tmp/t")
		if [ -z "$best" ] || [ "$(echo "$s < $best" | bc)" = 1 ]; then best=$s; fi
	done
	echo "threads $t: best of 3 $best s, $(echo "scale=0; $n / $best" | bc) rows/s"
done
for t in $threads_list; do cmp "$tmp/c1.csv" "$tmp/c$t.csv" >/dev/null 2>&1 ||
	{ echo "threads $t: output differs from 1 thread" >&2; exit 1; }; done
echo "outputs identical across thread counts"
