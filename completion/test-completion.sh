#!/bin/bash
# test-completion.sh ICMPRING HELP-OPTIONS.AWK ICMPRING.BASH ICMPRING-LAB ICMPRING-LAB.BASH
#
# TAP.  Loads the bash completions as bash-completion would (source, then
# `complete -p`), and calls their functions with COMP_WORDS/COMP_CWORD set,
# as bash does on TAB.  Checks, for every subcommand that `icmpring --help`
# lists, that each option its --help prints is offered (read once by
# help-options.awk, and once more by a plain grep of every "--word", so a
# parsing slip cannot hide an option from both), that --format offers
# exactly the values the CLI names in its error for a bad one, and that each
# of them is accepted; that file arguments complete file names; and the
# same for icmpring-lab's commands and options.  Nothing is sent: the CLI
# runs only with --help, or with a bad option and no target.
set -uo pipefail
icmpring=$1 awkf=$2 comp=$3 lab=$4 labcomp=$5

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what"; fi; }

# complete WORD... : COMPREPLY for the last word (the one being completed).
complete_words() {
    local fn=$1; shift
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    "$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf '%s\n' "${COMPREPLY[@]}"
}
has() { grep -qxF -- "$2" <<<"$1"; }   # has LIST WORD

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/d"
touch "$tmp/d/alpha.txt" "$tmp/d/alpine list.txt" "$tmp/d/beta.txt"

# shellcheck source=/dev/null
source "$comp"
# shellcheck source=/dev/null
source "$labcomp"
check "complete -p icmpring names _icmpring" \
    grep -q -- '-F _icmpring icmpring$' <<<"$(complete -p icmpring 2>&1)"
check "complete -p icmpring-lab names _icmpring_lab" \
    grep -q -- '-F _icmpring_lab icmpring-lab$' <<<"$(complete -p icmpring-lab 2>&1)"

cmds=$("$icmpring" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
                                 on && /^  [a-z][a-z0-9-]* / { print $1 }')
check "icmpring --help lists commands" test -n "$cmds"
top=$(complete_words _icmpring icmpring '')
for c in $cmds; do
    check "icmpring: command '$c' offered" has "$top" "$c"
done
top=$(complete_words _icmpring icmpring --)
for o in $("$icmpring" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
    check "icmpring: option '$o' offered" has "$top" "$o"
done

for c in $cmds; do
    help=$("$icmpring" "$c" --help)
    offered=$(complete_words _icmpring icmpring "$c" -)
    offered_long=$(complete_words _icmpring icmpring "$c" --)
    opts=$(awk -f "$awkf" <<<"$help" | cut -f 1)
    check "icmpring $c: --help has options" test -n "$opts"
    for o in $opts; do
        check "icmpring $c: option '$o' offered" has "$offered" "$o"
    done
    # Independent of help-options.awk: every --word of the text.
    missing=
    for o in $(grep -o -- '--[a-z][a-z0-9-]*' <<<"$help" | sort -u); do
        has "$offered_long" "$o" || missing+=" $o"
    done
    check "icmpring $c: every --word of --help offered after '--'${missing:+ (missing:$missing)}" \
        test -z "$missing"
    # An option's own full name completes to itself.
    missing=
    for o in $(grep -o -- '--[a-z][a-z0-9-]*' <<<"$help" | sort -u); do
        got=$(complete_words _icmpring icmpring "$c" "$o")
        has "$got" "$o" || missing+=" $o"
    done
    check "icmpring $c: each long option completes from its full name" test -z "$missing"

    # --format: the values the CLI names for a bad one, each accepted.
    if grep -q -- '--format' <<<"$help"; then
        msg=$("$icmpring" "$c" --format '' 2>&1 >/dev/null)
        want=$(sed -n 's/.*for --format (expected \(.*\))$/\1/p' <<<"$msg" |
               sed 's/,/ /g; s/ or / /g' | tr -s ' ' '\n' | sed '/^$/d' | sort)
        check "icmpring $c: the CLI names its --format values ($msg)" test -n "$want"
        got=$(complete_words _icmpring icmpring "$c" --format '' | sort)
        check "icmpring $c: --format offers exactly: $(echo $want) (got: $(echo $got))" \
            test "$want" = "$got"
        for v in $got; do
            err=$("$icmpring" "$c" --format "$v" 2>&1 >/dev/null)
            check "icmpring $c: --format $v accepted by the CLI" \
                eval '! grep -q -- "--format" <<<"$err"'
        done
        got=$(complete_words _icmpring icmpring "$c" --format = '' | sort)
        check "icmpring $c: --format= (with '=' a word break) offers the values" test "$want" = "$got"
        first=$(head -n 1 <<<"$want")
        got=$(complete_words _icmpring icmpring "$c" --format = "${first:0:1}")
        check "icmpring $c: --format=${first:0:1} completes to $first" has "$got" "$first"
        got=$(complete_words _icmpring icmpring "$c" "--format=${first:0:1}")
        check "icmpring $c: '--format=${first:0:1}' as one word completes to --format=$first" \
            has "$got" "--format=$first"
    fi

    # Options that take a FILE complete file names (with blanks); a number does not.
    while IFS=$'\t' read -r o meta; do
        case $meta in
        FILE | F)
            got=$(complete_words _icmpring icmpring "$c" "$o" "$tmp/d/al")
            check "icmpring $c $o: file names offered" \
                eval 'has "$got" "$tmp/d/alpha.txt" && has "$got" "$tmp/d/alpine list.txt" && ! has "$got" "$tmp/d/beta.txt"'
            ;;
        N | COUNT)
            got=$(complete_words _icmpring icmpring "$c" "$o" "$tmp/d/al")
            check "icmpring $c $o $meta: no file names offered" test -z "$got"
            ;;
        esac
    done < <(awk -f "$awkf" <<<"$help")
done

# icmpring-lab: its commands and every --option of its --help.
labhelp=$("$lab" --help)
labcmds=$(sed -n 's/^\(usage:\)\{0,1\} *icmpring-lab \([a-z]*\).*/\2/p' <<<"$labhelp" | sort -u)
check "icmpring-lab --help lists commands" test -n "$labcmds"
got=$(complete_words _icmpring_lab icmpring-lab '')
for c in $labcmds; do
    check "icmpring-lab: command '$c' offered" has "$got" "$c"
done
# Each option in the context where it belongs: up and run options, relay's.
all=$( { complete_words _icmpring_lab icmpring-lab up -
         complete_words _icmpring_lab icmpring-lab run -
         complete_words _icmpring_lab icmpring-lab relay NAME - ; } | sort -u)
for o in $(grep -o -- '--[a-z][a-z0-9-]*' <<<"$labhelp" | sort -u); do
    check "icmpring-lab: option '$o' offered" has "$all" "$o"
done
got=$(complete_words _icmpring_lab icmpring-lab relay NAME --log "$tmp/d/be")
check "icmpring-lab relay --log: file names offered" has "$got" "$tmp/d/beta.txt"
got=$(complete_words _icmpring_lab icmpring-lab relay NAME --kinds '')
check "icmpring-lab relay --kinds: the corruption kinds offered" \
    eval 'has "$got" flip && has "$got" shortquote'
got=$(complete_words _icmpring_lab icmpring-lab run -- ech)
check "icmpring-lab run --: commands offered" has "$got" echo

echo "1..$n"
exit $((failed > 0))
