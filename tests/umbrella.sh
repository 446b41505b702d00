#!/bin/sh
# include/rebuy/rebuy.h is the whole public API: it must include every other
# public header, and compile alone as C11 (and as C++, where a C++ compiler
# is installed). Prints what is missing and fails.
# usage: umbrella.sh SOURCE_DIR C_COMPILER
cd "$1" || exit 2
cc=${2:-cc}
missing=0
for h in include/rebuy/*.h; do
	name=$(basename "$h")
	[ "$name" = rebuy.h ] && continue
	if ! grep -q "^#include \"rebuy/$name\"" include/rebuy/rebuy.h; then
		echo "include/rebuy/rebuy.h does not include rebuy/$name"
		missing=1
	fi
done
[ "$missing" = 0 ] || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include "rebuy/rebuy.h"\nint main(void) { return 0; }\n' >"$tmp/u.c"
"$cc" -std=c11 -Wall -Wextra -pedantic -Werror -Iinclude -c "$tmp/u.c" -o "$tmp/u.o" || exit 1
if command -v c++ >/dev/null 2>&1; then
	printf '#include "rebuy/rebuy.h"\nint main() { return 0; }\n' >"$tmp/u.cc"
	c++ -Wall -Werror -Iinclude -c "$tmp/u.cc" -o "$tmp/u2.o" || exit 1
fi
echo "rebuy.h includes every public header and compiles alone"
