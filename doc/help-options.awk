# help-options.awk - the options that a --help text prints, one a line:
# "OPTION<TAB>METAVAR" (METAVAR empty for an option without an argument).
# Shared by the man-page drift test, the completion generator and its test,
# so that all three read --help the same way.
#
# An option column is a line that starts with two or more blanks and a
# '-'; the column runs to the first run of two blanks.  In it, options
# joined by ", " form one group ("-c, --count N"), and an upper-case word
# after a group is that group's argument ("N").  Several groups may share
# a column ("--shards N --shard I"); "<count>" and "--opt=ARG" name an
# argument too.  After the column, "; -V, --version"
# style pairs are groups too (icmpring's "-h, --help  this help;  -V,
# --version  the version").  Every other "--long" word anywhere in the text
# is an option as well (prose such as "RELAY-OPTION: --delay MS --jitter MS"
# in icmpring-lab's help), with the upper-case word after it as argument.
function emit(opt, arg) {
    if (!(opt in seen)) { order[++n] = opt; seen[opt] = arg }
    else if (seen[opt] == "" && arg != "") seen[opt] = arg
}
function groups(text,    ntok, tok, i, grp, ng, k, t, cont, arg, optional) {
    ntok = split(text, tok, /[ \t]+/)
    ng = 0
    for (i = 1; i <= ntok; i++) {
        t = tok[i]
        if (t ~ /^-[A-Za-z0-9],?$/ || t ~ /^--[a-z][a-z0-9-]*(\[?=[^,]+)?,?$/) {
            cont = t ~ /,$/
            sub(/,$/, "", t)
            arg = ""; optional = 0
            # "--opt=ARG": the argument is attached; "--opt[=ARG]" takes
            # none in the next word (getopt's optional argument).
            if (match(t, /\[=/)) { optional = 1; t = substr(t, 1, RSTART - 1) }
            else if (match(t, /=/)) { arg = substr(t, RSTART + 1); t = substr(t, 1, RSTART - 1) }
            grp[++ng] = t
            if (cont) continue
            # A metavariable may follow the group: WORD or <word>.
            if (arg == "" && !optional && i < ntok && (tok[i + 1] ~ /^[A-Z][A-Z0-9_-]*$/ || tok[i + 1] ~ /^<[^>]+>$/)) {
                arg = tok[i + 1]; i++
            }
            for (k = 1; k <= ng; k++) emit(grp[k], arg)
            ng = 0
        } else {
            for (k = 1; k <= ng; k++) emit(grp[k], "")
            ng = 0
        }
    }
    for (k = 1; k <= ng; k++) emit(grp[k], "")
}
{
    line = $0
    if (line ~ /^  +-/) {
        col = line
        sub(/^ +/, "", col)
        rest = ""
        if (match(col, /  +/)) { rest = substr(col, RSTART); col = substr(col, 1, RSTART - 1) }
        groups(col)
        while (match(rest, /; +-[A-Za-z0-9], --[a-z][a-z0-9-]*/)) {
            pair = substr(rest, RSTART, RLENGTH)
            rest = substr(rest, RSTART + RLENGTH)   # before groups() calls match()
            sub(/^; +/, "", pair)
            groups(pair)
        }
    }
    # Long options anywhere in the text (not "--" alone, not a word's dash).
    rest = " " line
    while (match(rest, /[^A-Za-z0-9_-]--[a-z][a-z0-9-]*/)) {
        opt = substr(rest, RSTART + 1, RLENGTH - 1)
        after = substr(rest, RSTART + RLENGTH)
        arg = ""
        if (match(after, /^ [A-Z][A-Z0-9_-]*([] ,.;)|]|$)/)) {
            arg = substr(after, 2, RLENGTH - 1); sub(/[] ,.;)|]$/, "", arg)
        }
        emit(opt, arg)
        rest = after
    }
}
END { for (i = 1; i <= n; i++) printf "%s\t%s\n", order[i], seen[order[i]] }
