#!/bin/bash
# check-man.sh ICMPRING ICMPRING-LAB HELP-OPTIONS.AWK PAGEDIR SCDDIR
#
# TAP.  For every man page built into PAGEDIR:
#   - groff renders it with every warning on (-ww) and prints none, and
#     `man -l` (man-db) renders it without a warning either;
#   - no source line of the .scd outside a code block starts with '.' or
#     "'" (roff would take it for a request and drop it, silently).
# And the pages cannot drift from the tools: every command that
# `icmpring --help` lists has a page icmpring-COMMAND(1), and every option
# that `icmpring COMMAND --help` prints (read by help-options.awk, and once
# more as every "--word" of the text) is a term of that page's OPTIONS
# sections; the same for icmpring(1) and for icmpring-lab(1) (its commands
# in COMMANDS).  A failure names the command, the option and the page.
set -uo pipefail
icmpring=$1 lab=$2 awkf=$3 pagedir=$4 scddir=$5
here=$(dirname "$0")

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

if ! command -v groff >/dev/null; then
    echo "1..0 # SKIP groff is not installed (groff-base): the pages cannot be checked"
    exit 0
fi
pages=$(cd "$pagedir" && ls *.[0-9] 2>/dev/null)
[ -n "$pages" ] || { echo "Bail out! no man pages in $pagedir"; exit 1; }

for p in $pages; do
    warn=$(groff -man -t -ww -z "$pagedir/$p" 2>&1)
    if [ $? -eq 0 ] && [ -z "$warn" ]; then ok "$p: groff -ww renders it without a warning"
    else nok "$p: groff -ww: $(head -n 3 <<<"$warn" | tr '\n' ' ')"; fi
    if command -v man >/dev/null; then
        warn=$(MANWIDTH=80 man --warnings=w -l "$pagedir/$p" 2>&1 >/dev/null)
        if [ -z "$warn" ]; then ok "$p: man -l renders it without a warning"
        else nok "$p: man -l: $(head -n 3 <<<"$warn" | tr '\n' ' ')"; fi
    else
        n=$((n + 1)); echo "ok $n - $p: man -l # SKIP man(1) is not installed (man-db)"
    fi
    bad=$(awk '/^```/ { code = !code; next } !code && /^[.'"'"']/ { print FILENAME ":" FNR ": " $0 }' \
              "$scddir/$p.scd")
    if [ -z "$bad" ]; then ok "$p.scd: no text line starts with . or '"
    else nok "$p.scd: a text line starts with . or ' (roff drops it): $bad"; fi
done

# terms PAGE SECTION-REGEX: the words of the term lines (7 columns in) of
# the sections whose heading matches, one a line ("-c, --count N" gives
# -c --count N).
terms() {
    bash "$here/render.sh" "$pagedir/$1" 2>/dev/null | awk -v re="$2" '
        /^[A-Z]/ { on = ($0 ~ re); next }
        on && /^       [^ ]/ { gsub(/,/, " "); for (i = 1; i <= NF; i++) print $i }'
}
# check_opts WHO PAGE HELP-TEXT SECTION-REGEX
check_opts() {
    local who=$1 page=$2 help=$3 re=$4 t o
    if [ ! -f "$pagedir/$page" ]; then
        nok "$who: no man page $page"
        return
    fi
    t=$(terms "$page" "$re")
    for o in $( { awk -f "$awkf" <<<"$help" | cut -f 1; grep -o -- '--[a-z][a-z0-9-]*' <<<"$help"; } |
                awk '!seen[$0]++'); do
        if grep -qxF -- "$o" <<<"$t"; then
            ok "$who: option $o is on $page"
        else
            nok "$who: option $o of --help is missing from the OPTIONS of ${page%.*}(${page##*.})"
        fi
    done
}

cmds=$("$icmpring" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
                                 on && /^  [a-z][a-z0-9-]* / { print $1 }')
[ -n "$cmds" ] && ok "icmpring --help lists commands" || nok "icmpring --help lists no command"
t=$(terms icmpring.1 COMMANDS)
for c in $cmds; do
    if grep -qxF "$c" <<<"$t"; then ok "icmpring: command $c is on icmpring.1"
    else nok "icmpring: command $c of --help is missing from the COMMANDS of icmpring(1)"; fi
done
check_opts "icmpring" icmpring.1 "$("$icmpring" --help)" OPTIONS
for c in $cmds; do
    check_opts "icmpring $c" "icmpring-$c.1" "$("$icmpring" "$c" --help)" OPTIONS
done

labhelp=$("$lab" --help)
t=$(terms icmpring-lab.1 COMMANDS)
for c in $(sed -n 's/^\(usage:\)\{0,1\} *icmpring-lab \([a-z]*\).*/\2/p' <<<"$labhelp" | sort -u); do
    if grep -qxF "$c" <<<"$t"; then ok "icmpring-lab: command $c is on icmpring-lab.1"
    else nok "icmpring-lab: command $c of --help is missing from the COMMANDS of icmpring-lab(1)"; fi
done
# The lab's --help has no "-h, --help" line; its page documents it anyway.
check_opts "icmpring-lab" icmpring-lab.1 "$labhelp" OPTIONS

echo "1..$n"
exit $((failed > 0))
