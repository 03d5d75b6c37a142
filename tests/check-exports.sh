#!/bin/bash
# check-exports.sh LIB HEADER - the shared library exports exactly the
# functions the public header declares with ICR_EXPORT: nothing internal
# (icr__*), nothing from liburing, nothing missing.  Prints TAP.
set -u
lib=$1 header=$2
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {sub(/@.*/, "", $3); print $3}' | sort -u)
declared=$(tr '\n' ' ' <"$header" | grep -oE 'ICR_EXPORT [^;{]*\(' |
           grep -oE '[A-Za-z_][A-Za-z0-9_]*\($' | tr -d '(' | sort -u)
echo "1..3"
extra=$(comm -23 <(echo "$exported") <(echo "$declared"))
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))
if [ -z "$extra" ]; then echo "ok 1 - no symbol exported beyond the header"; else echo "not ok 1 - exported but not declared: $extra"; fi
if [ -z "$missing" ]; then echo "ok 2 - every declared function is exported"; else echo "not ok 2 - declared but not exported: $missing"; fi
n=$(echo "$exported" | grep -c .)
if [ "$n" -gt 20 ] && ! echo "$exported" | grep -q '^icr__'; then echo "ok 3 - $n symbols, all icr_"; else echo "not ok 3 - $n symbols"; fi
