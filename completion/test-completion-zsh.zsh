#!/bin/zsh -f
# test-completion-zsh.zsh ICMPRING HELP-OPTIONS.AWK DIR-OF-_icmpring
#
# TAP.  Drives a real interactive zsh in a pseudo-terminal (zsh/zpty) with
# the completion system on (compinit) and DIR first in fpath, types command
# lines and TAB, and records every candidate the completion hands to
# compadd (a function in front of the builtin).  Checks, for every
# subcommand that `icmpring --help` lists, that each option its --help
# prints (help-options.awk, and every "--word") is offered, that --format
# offers the values the CLI names in its error for a bad one (also after
# "--format="), and that a FILE argument completes file names.  Nothing is
# sent: the CLI runs only with --help, or with a bad option and no target.
emulate -L zsh
setopt err_return no_unset pipe_fail
icmpring=$1 awkf=$2 dir=$3
zmodload zsh/zpty zsh/datetime

integer n=0 failed=0
ok() { (( ++n )); print -r -- "ok $n - $1" }
nok() { (( ++n, ++failed )); print -r -- "not ok $n - $1" }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what"; fi }

tmp=$(mktemp -d)
trap 'zpty -d z 2>/dev/null; rm -rf $tmp' EXIT
mkdir $tmp/home $tmp/d
touch $tmp/d/alpha.txt $tmp/d/beta.txt
log=$tmp/log

# The interactive zsh: no startup files, completion on, no listing (a
# long list would stop at "do you wish to see all N possibilities?").
zpty z env HOME=$tmp/home ZDOTDIR=$tmp/home TERM=dumb PATH=$PATH zsh -f -i
zpty -w z "PS1='> '; fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -d $tmp/home/.zcompdump"
zpty -w z "unsetopt auto_list list_ambiguous auto_menu; setopt no_beep"
zpty -w z "compadd() { print -rl -- \"\$@\" >> $log; builtin compadd \"\$@\" }"
integer serial=0
# offered LINE: the candidates that TAB at the end of LINE hands to compadd.
offered() {
    : >$log
    (( ++serial ))
    # The line and TAB first, then wait (at most 5 s) for candidates before
    # typing on: zsh may cut a completion short when more input is already
    # pending: seen on a loaded machine (load 10 on 2 CPUs), and always for
    # the first line after start-up when it was typed in one go.
    zpty -w -n z "$1"$'\t'
    local -F deadline=$(( EPOCHREALTIME + 5 ))
    while [[ ! -s $log ]] && (( EPOCHREALTIME < deadline )); do sleep 0.02; done
    zpty -w -n z $'\C-u'"print DONE$serial"$'\n'
    local out
    zpty -r -m z out "*DONE$serial*DONE$serial*" || { print -u2 "zpty: no answer"; return 1 }
    cat $log
}
has() { local -a l; l=(${(f)1}); (( ${l[(Ie)$2]} )) }   # has LIST WORD

cmds=(${(f)"$($icmpring --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
                                      on && /^  [a-z][a-z0-9-]* / { print $1 }')"})
check "icmpring --help lists commands" test ${#cmds} -gt 0
got=$(offered "icmpring ")
for c in $cmds; do check "zsh: command '$c' offered" has "$got" $c; done

for c in $cmds; do
    help=$($icmpring $c --help)
    got=$(offered "icmpring $c -")
    opts=(${(f)"$(print -r -- $help | awk -f $awkf | cut -f 1)"} ${(f)"$(print -r -- $help | grep -o -- '--[a-z][a-z0-9-]*')"})
    opts=(${(u)opts})
    missing=()
    for o in $opts; do has "$got" $o || missing+=($o); done
    check "zsh: icmpring $c: every option of --help offered${missing:+ (missing: $missing)}" test ${#missing} -eq 0
    if (( ${opts[(Ie)--format]} )); then
        msg=$($icmpring $c --format '' 2>&1 >/dev/null || true)
        want=(${=${${${${msg##*for --format \(expected }%\)}//,/ }// or / }})
        check "zsh: icmpring $c: the CLI names its --format values" test ${#want} -gt 0
        got=$(offered "icmpring $c --format ")
        missing=(); for v in $want; do has "$got" $v || missing+=($v); done
        check "zsh: icmpring $c: --format offers ${want}${missing:+ (missing: $missing)}" test ${#missing} -eq 0
        got=$(offered "icmpring $c --format=")
        missing=(); for v in $want; do has "$got" $v || missing+=($v); done
        check "zsh: icmpring $c: --format= offers ${want}${missing:+ (missing: $missing)}" test ${#missing} -eq 0
    fi
    fileopt=$(print -r -- $help | awk -f $awkf | awk -F '\t' '$2 == "FILE" || $2 == "F" { print $1; exit }')
    if [[ -n $fileopt ]]; then
        got=$(offered "icmpring $c $fileopt $tmp/d/al")
        check "zsh: icmpring $c $fileopt: file names offered" has "$got" alpha.txt
    fi
done

print "1..$n"
(( failed == 0 ))
