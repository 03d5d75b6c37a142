# bash completion for icmpring-lab(1)                      -*- shell-script -*-
#
# Hand-written: icmpring-lab is a script whose usage has no option column
# to generate from.  completion/test-completion.sh guards it: every command
# and every --option that `icmpring-lab --help` prints must be offered.

_icmpring_lab_commands='up down exec run loss dup relay gc list'
_icmpring_lab_relay_opts='--delay --jitter --req-delay --queue --reorder --dup --drop --corrupt
    --kinds --forge --seed --log --seconds --bin'
_icmpring_lab_nodes='sw prb rsp h1 h2 far'

# The names of existing labs (`icmpring-lab list`: NAME first).
_icmpring_lab_names() {
    icmpring-lab list 2>/dev/null | awk '{ print $1 }'
}

_icmpring_lab() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local cword=$COMP_CWORD cmd=${COMP_WORDS[1]-} i nargs=0
    COMPREPLY=()
    if ((cword == 1)); then
        mapfile -t COMPREPLY < <(compgen -W "$_icmpring_lab_commands -h --help" -- "$cur")
        return 0
    fi
    # After "--" (run, exec): a command and its arguments.
    for ((i = 2; i < cword; i++)); do
        if [[ ${COMP_WORDS[i]} == -- ]]; then
            if ((i == cword - 1)); then
                mapfile -t COMPREPLY < <(compgen -c -- "$cur")
            else
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            fi
            return 0
        fi
        [[ ${COMP_WORDS[i]} == -* ]] || ((nargs++))
    done
    case $prev in
    --routers | --owner | --name | --delay | --jitter | --req-delay | --queue | --reorder | \
        --dup | --drop | --corrupt | --forge | --seed | --seconds)
        return 0 ;;
    --kinds)
        mapfile -t COMPREPLY < <(compgen -W 'flip csum trunc iplen quote shortquote' -- "$cur")
        return 0 ;;
    --log | --bin)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return 0 ;;
    esac
    local words=
    case $cmd in
    up) words='--routers --name --owner' ;;
    run) words='--routers --tap --' ;;
    down | gc) words=$(_icmpring_lab_names) ;;
    exec)
        case $nargs in
        0) words=$(_icmpring_lab_names) ;;
        1) # The nodes, with the routers r1..rN of that lab.
            words="$_icmpring_lab_nodes $(icmpring-lab list 2>/dev/null | awk -v lab="${COMP_WORDS[2]}" '
                $1 == lab { n = $2; sub(/^routers=/, "", n); for (k = 1; k <= n; k++) printf "r%d ", k }')" ;;
        *) words=-- ;;
        esac ;;
    loss)
        case $nargs in
        0) words=$(_icmpring_lab_names) ;;
        1) words='0 1 5 10 50 100' ;;
        2) words='4 6 all' ;;
        esac ;;
    dup)
        case $nargs in
        0) words=$(_icmpring_lab_names) ;;
        1) words='on off' ;;
        esac ;;
    relay)
        if ((nargs == 0)); then
            words=$(_icmpring_lab_names)
        else
            words="$_icmpring_lab_relay_opts on off"
        fi ;;
    esac
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
    return 0
}
complete -F _icmpring_lab icmpring-lab
