#!/bin/sh
# Command-line golden cases. Each folder under CASES holds `cmd` (a shell
# command run in that folder with $REBUY, $SHARED and $OUT, an empty
# temporary folder, set) and the expected `stdout`, `stderr` and `status`.
# A case whose cmd uses $SHARED is skipped, with a message, when ../shared is
# absent. REBUY_REGEN=1 rewrites the expected files (review the diff!).
#
# usage: run.sh REBUY CASES SHARED
set -u
REBUY=$1
CASES=$2
SHARED=$3
export REBUY SHARED
pass=0 fail=0 skip=0
for dir in "$CASES"/*/; do
	dir=${dir%/}
	name=$(basename "$dir")
	if grep -q 'SHARED' "$dir/cmd" && [ ! -d "$SHARED/data" ]; then
		echo "skip $name: $SHARED/data is absent (../shared is not beside the checkout)"
		skip=$((skip + 1))
		continue
	fi
	OUT=$(mktemp -d)
	export OUT
	(cd "$dir" && sh ./cmd >"$OUT/.stdout" 2>"$OUT/.stderr")
	echo $? >"$OUT/.status"
	if [ -n "${REBUY_REGEN:-}" ]; then
		cp "$OUT/.stdout" "$dir/stdout"
		cp "$OUT/.stderr" "$dir/stderr"
		cp "$OUT/.status" "$dir/status"
		echo "regenerated $name"
	else
		ok=1
		for f in stdout stderr status; do
			if ! cmp -s "$dir/$f" "$OUT/.$f"; then
				echo "FAIL $name: $f differs"
				diff -u "$dir/$f" "$OUT/.$f" | head -40
				ok=0
			fi
		done
		if [ $ok = 1 ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
		fi
	fi
	rm -rf "$OUT"
done
echo "cli golden cases: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
