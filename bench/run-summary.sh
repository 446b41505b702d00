#!/bin/sh
# Runs the summary benchmark (bench/summary.py) with Debian's /usr/bin/python3.
# As root it first installs what the benchmark needs (sqlite3, python3-pandas, time, and cmake
# to build rebuy); otherwise it says what is missing and runs with the peers it finds.
# Arguments go to bench/summary.py, e.g.: bench/run-summary.sh --rows 1000000 --repeat 3
set -eu
cd "$(dirname "$0")/.."

missing=""
command -v sqlite3 >/dev/null 2>&1 || missing="$missing sqlite3"
{ [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import pandas' >/dev/null 2>&1; } ||
	missing="$missing python3-pandas"
[ -x /usr/bin/time ] || missing="$missing time"
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"

if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "run-summary.sh: installing:$missing"
		apt-get update
		# shellcheck disable=SC2086 # a list of package names, split on purpose
		DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
	else
		echo "run-summary.sh: missing:$missing (as root: apt-get install -y$missing);" \
			"the benchmark skips what it cannot run"
	fi
fi
if [ ! -x /usr/bin/python3 ]; then
	echo "run-summary.sh: /usr/bin/python3 not found (apt-get install -y python3)" >&2
	exit 1
fi
exec /usr/bin/python3 bench/summary.py "$@"
