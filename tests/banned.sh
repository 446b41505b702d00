#!/bin/sh
# Calls that overflow buffers or hide errors are banned from rebuy's sources
# (after git's banned.h): strcpy, strcat, strncpy, strncat, sprintf,
# vsprintf, gets, strtok, atoi, atol. Use memcpy with a known length,
# snprintf, strtol. Prints each use with its place and fails.
# usage: banned.sh SOURCE_DIR
cd "$1" || exit 2
if grep -nE '(^|[^a-z_])(strcpy|strcat|strncpy|strncat|sprintf|vsprintf|gets|strtok|atoi|atol)[[:space:]]*\(' \
	src/*/*.c src/*/*.h cli/*.c cli/*.h include/rebuy/*.h; then
	echo "banned calls above: use the bounded alternatives (see tests/banned.sh)"
	exit 1
fi
echo "no banned calls"
