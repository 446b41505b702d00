#!/bin/sh
# Load and crash test of rebuy serve on loopback (docs/serve.md, "Load").
# A fresh SQLite ledger with a program of 1 point per currency unit (no tiers,
# no bonuses, no expiry), one read+write key, `rebuy serve --rate 0` on a free
# port, and bench/serve_load.c: --clients keep-alive clients send --requests
# orders of which 30 % are duplicates (half the same Idempotency-Key, half the
# same order under a new key, sent while the original is in flight). The
# client checks exactly-once (same key: same bytes; one 201 per order; every
# balance = the sum of its orders) and prints throughput, p50/p90/p99
# latency and the CPU split; then `rebuy loyalty verify` checks the ledger.
# --crash: the server is killed with SIGKILL once --kill-after requests are
# answered, restarted on the same database, and the clients send their
# unanswered requests again; the same checks must pass.
# The peer in the same run (without --crash, when the script builds): the
# ledger's library called in-process by as many threads (bench/loyalty_bench.c),
# so the ratio is what HTTP, JSON and the checks cost.
# Usage: bench/serve-load.sh [--requests N] [--clients N] [--customers N]
#        [--crash] [--kill-after N] [--threads N] [--build-dir DIR]
#        [--rebuy BIN --client BIN (no build)] [--time-limit S]
set -eu
cd "$(dirname "$0")/.."
requests=100000 clients=32 customers=2000 crash=0 kill_after=0 threads=0
build=build-release rebuy="" client="" limit=240 peer=""
while [ $# -gt 0 ]; do
	case "$1" in
	--requests) requests=$2; shift 2 ;;
	--clients) clients=$2; shift 2 ;;
	--customers) customers=$2; shift 2 ;;
	--crash) crash=1; shift ;;
	--kill-after) kill_after=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--build-dir) build=$2; shift 2 ;;
	--rebuy) rebuy=$2; shift 2 ;;
	--client) client=$2; shift 2 ;;
	--time-limit) limit=$2; shift 2 ;;
	*) echo "serve-load.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ -z "$rebuy" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DREBUY_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target rebuy >/dev/null
	cc -O2 -pthread -o "$build/serve_load" bench/serve_load.c
	cmake --build "$build" -j2 --target rebuy_lib >/dev/null
	cc -O2 -Iinclude -o "$build/loyalty_bench" bench/loyalty_bench.c "$build/librebuy.a" \
		$(pkg-config --libs sqlite3 libsodium libpq libmicrohttpd jansson) -lz -lxxhash -lm -lpthread
	rebuy=$build/rebuy client=$build/serve_load peer=$build/loyalty_bench
fi
[ "$crash" = 1 ] && [ "$kill_after" = 0 ] && kill_after=$((requests / 3))

# on the disk: /tmp may be memory, where fsync costs nothing
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/rebuy-serve-load.XXXXXX")
server=""
cleanup() {
	[ -n "$server" ] && kill -9 "$server" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

printf 'earn 1 per 1\n' >"$tmp/program.txt"
"$rebuy" loyalty init --db "$tmp/ledger.db" --program "$tmp/program.txt" >/dev/null
key=$("$rebuy" loyalty key create load --scopes read,write --db "$tmp/ledger.db" | awk 'NF { k = $NF } END { print k }')

# Starts the server and waits for its address in $tmp/addr (the client
# reads the port from there at every connect, so a restart may change it).
start() {
	"$rebuy" serve --db "$tmp/ledger.db" --listen 127.0.0.1:0 --rate 0 --threads "$threads" \
		>"$tmp/addr.new" 2>"$tmp/serve.err" &
	server=$!
	i=0
	until grep -q listening "$tmp/addr.new" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$server" 2>/dev/null; then
			echo "serve-load.sh: the server did not start: $(cat "$tmp/serve.err")" >&2
			exit 1
		fi
		sleep 0.05
	done
	mv "$tmp/addr.new" "$tmp/addr"
}

echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared);" \
	"$requests requests, $clients clients, $customers customers, crash: $crash"
df -T "$tmp" | tail -1 | awk '{print "filesystem: " $2 " (" $1 ")"}'
start
"$client" --addr-file "$tmp/addr" --key "$key" --requests "$requests" --clients "$clients" \
	--customers "$customers" --time-limit "$limit" --server-pid "$server" \
	--kill-after "$kill_after" >"$tmp/client.out" 2>"$tmp/client.err" &
loader=$!
if [ "$crash" = 1 ]; then
	i=0
	until grep -q READY-TO-KILL "$tmp/client.out"; do
		i=$((i + 1))
		if [ $i -gt $((limit * 20)) ] || ! kill -0 "$loader" 2>/dev/null; then
			echo "serve-load.sh: the load never reached $kill_after answers" >&2
			cat "$tmp/client.out" "$tmp/client.err" >&2
			exit 1
		fi
		sleep 0.05
	done
	kill -9 "$server"
	wait "$server" 2>/dev/null || true
	echo "killed the server (SIGKILL) after $kill_after answers; restarting it"
	rm -f "$tmp/addr"
	sleep 0.2
	start
fi
status=0
wait "$loader" || status=$?
grep -v READY-TO-KILL "$tmp/client.out" || true
cat "$tmp/client.err" >&2
kill -TERM "$server"
wait "$server" || { echo "serve-load.sh: the server did not exit cleanly" >&2; status=1; }
server=""
if "$rebuy" loyalty verify --db "$tmp/ledger.db" >"$tmp/verify.out" 2>&1; then
	echo "rebuy loyalty verify: ok: $(tr '\n' ' ' <"$tmp/verify.out" | cut -c1-300)"
else
	echo "rebuy loyalty verify FAILED: $(cat "$tmp/verify.out")"
	status=1
fi
if [ -n "$peer" ] && [ "$crash" = 0 ]; then
	mkdir -p "$tmp/peer"
	"$peer" "$tmp/peer" --orders "$requests" --threads "$clients" >"$tmp/peer.out" 2>&1 || true
	echo "peer, the ledger in-process ($clients threads, no HTTP): $(grep '"run":"group_commit' "$tmp/peer.out")"
	http=$(sed -n 's/^throughput: \([0-9]*\) requests.*/\1/p' "$tmp/client.out")
	inproc=$(grep '"run":"group_commit' "$tmp/peer.out" | sed -n 's/.*"calls_per_s":\([0-9]*\).*/\1/p')
	[ -n "$http" ] && [ -n "$inproc" ] && awk -v h="$http" -v p="$inproc" \
		'BEGIN { printf "ratio: HTTP %d requests/s / in-process %d calls/s = %.2f\n", h, p, h / p }'
fi
exit $status
