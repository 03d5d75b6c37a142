#!/bin/bash
# extract-example.sh PAGE OUT.c - the program of PAGE's EXAMPLE section, as
# a reader sees it: taken from the rendered page (render.sh), not from its
# source, so that a markup slip (scdoc eats a lone backslash: "\n" must be
# written "\\n") shows up as a program that does not build or misbehaves.
# The code block is the part of the section indented by 11 columns (prose
# is at 7); its own indentation is kept.
set -euo pipefail
page=$1 out=$2
text=$(bash "$(dirname "$0")/render.sh" "$page")
awk '
    /^[A-Z]/ { on = ($0 == "EXAMPLE"); next }
    !on { next }
    /^ *$/ { if (started) blank++; next }
    /^           / { while (blank > 0) { print ""; blank-- } print substr($0, 12); started = 1; next }
    { blank = 0 }
' <<<"$text" >"$out.tmp"
if ! grep -q 'int main' "$out.tmp"; then
    echo "extract-example: no program with main() in the EXAMPLE section of $page" >&2
    rm -f "$out.tmp"
    exit 1
fi
mv "$out.tmp" "$out"
