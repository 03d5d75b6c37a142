#!/bin/bash
# gen-completion.sh ICMPRING HELP-OPTIONS.AWK TEMPLATE OUTPUT
#
# Writes a completion of icmpring (bash: icmpring.bash.in, zsh:
# _icmpring.zsh.in): TEMPLATE (the hand-written logic) with its @DATA@
# line replaced by lists read from the built binary, as shell assignments
# that bash and zsh both read, so that a new subcommand, option or --format
# value needs no edit here:
#   - the subcommands: the "Commands:" section of `icmpring --help`;
#   - each one's options, and which take an argument: `icmpring CMD --help`
#     through help-options.awk (the man-page test reads --help the same way);
#   - the --format values: the "(expected text, csv or ndjson)" of the
#     one-line error for a bad value (`icmpring CMD --format ''` fails while
#     parsing its options: nothing is resolved or sent).
# An option whose argument is named FILE or F completes file names.
set -euo pipefail
icmpring=$1 awkf=$2 template=$3 output=$4

cmds=$("$icmpring" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
                                 on && /^  [a-z][a-z0-9-]* / { print $1 }')
[ -n "$cmds" ] || { echo "gen-completion: no commands in '$icmpring --help'" >&2; exit 1; }

ident() { printf '%s' "${1//-/_}"; }
{
    printf "_icmpring_commands='%s'\n" "$(echo $cmds)"
    for c in $cmds; do
        opts=() args=() files=()
        while IFS=$'\t' read -r opt meta; do
            opts+=("$opt")
            [ -n "$meta" ] && args+=("$opt")
            case $meta in FILE|F) files+=("$opt") ;; esac
        done < <("$icmpring" "$c" --help | awk -f "$awkf")
        [ ${#opts[@]} -gt 0 ] || { echo "gen-completion: no options in '$icmpring $c --help'" >&2; exit 1; }
        id=$(ident "$c")
        printf "_icmpring_opts_%s='%s'\n" "$id" "${opts[*]}"
        printf "_icmpring_args_%s='%s'\n" "$id" "${args[*]}"
        printf "_icmpring_files_%s='%s'\n" "$id" "${files[*]:-}"
        formats=
        if [[ " ${opts[*]} " == *" --format "* ]]; then
            msg=$("$icmpring" "$c" --format '' 2>&1 >/dev/null || true)
            # "... for --format (expected text, csv or ndjson)"
            list=$(sed -n 's/.*for --format (expected \(.*\))$/\1/p' <<<"$msg")
            [ -n "$list" ] || { echo "gen-completion: no --format values in: $msg" >&2; exit 1; }
            formats=$(sed 's/,/ /g; s/ or / /g; s/  */ /g' <<<"$list")
        fi
        printf "_icmpring_formats_%s='%s'\n" "$id" "$formats"
    done
} >"$output.data"
awk -v datafile="$output.data" '
    $0 == "@DATA@" { while ((getline l < datafile) > 0) print l; next } { print }' \
    "$template" >"$output"
rm -f "$output.data"
