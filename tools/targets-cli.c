/* targets-cli.c - the target arguments of sweep and traceroute (see cli.h):
 * TARGETS..., -f FILE, --exclude, --exclude-file, -4/-6, --keep-netbcast,
 * made into one icr_targets set with one-line messages. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_targets_init(struct cli_targets *ta, const char *cmd, int argc) {
    /* Each list can hold at most every argument. */
    const size_t n = (size_t)argc + 1;
    ta->cmd = cmd;
    ta->targets = calloc(n, sizeof(char *));
    ta->files = calloc(n, sizeof(char *));
    ta->excludes = calloc(n, sizeof(char *));
    ta->exclude_files = calloc(n, sizeof(char *));
    if (!ta->targets || !ta->files || !ta->excludes || !ta->exclude_files) {
        cli_error(cmd, "%s", icr_strerror(ICR_ENOMEM));
        return -1;
    }
    return 0;
}

void cli_targets_free(struct cli_targets *ta) {
    free(ta->targets);
    free(ta->files);
    free(ta->excludes);
    free(ta->exclude_files);
}

bool cli_targets_option(struct cli_targets *ta, int opt, const char *arg) {
    switch (opt) {
    case 'f': ta->files[ta->n_files++] = arg; break;
    case CLI_OPT_EXCLUDE: ta->excludes[ta->n_excludes++] = arg; break;
    case CLI_OPT_EXCLUDE_FILE: ta->exclude_files[ta->n_exclude_files++] = arg; break;
    case CLI_OPT_KEEP_NETBCAST: ta->flags |= ICR_TARGETS_KEEP_NETBCAST; break;
    case '4': ta->flags = (ta->flags & ~ICR_TARGETS_ONLY_V6) | ICR_TARGETS_ONLY_V4; break;
    case '6': ta->flags = (ta->flags & ~ICR_TARGETS_ONLY_V4) | ICR_TARGETS_ONLY_V6; break;
    default: return false;
    }
    return true;
}

int cli_targets_family_conflict(const struct cli_targets *ta, int opt) {
    if (opt == '4' && (ta->flags & ICR_TARGETS_ONLY_V6))
        return cli_exclusive(ta->cmd, "-4", "-6");
    if (opt == '6' && (ta->flags & ICR_TARGETS_ONLY_V4))
        return cli_exclusive(ta->cmd, "-6", "-4");
    return 0;
}

/* The family of an entry that is an address, a CIDR or a range (by its
 * first address); AF_UNSPEC for a host name or a malformed entry. */
static int spec_family(const char *spec) {
    char first[ICR_ADDRSTRLEN];
    size_t len;
    spec += strspn(spec, " \t");
    len = strcspn(spec, "/- \t");
    if (len == 0 || len >= sizeof(first))
        return AF_UNSPEC;
    memcpy(first, spec, len);
    first[len] = '\0';
    return icr_is_ipv4_address(first) ? AF_INET : icr_is_ipv6_address(first) ? AF_INET6 : AF_UNSPEC;
}

void cli_targets_operands(struct cli_targets *ta, int argc, char **argv) {
    for (int i = optind; i < argc; i++)
        ta->targets[ta->n_targets++] = argv[i];
}

int cli_targets_given(const struct cli_targets *ta) {
    if (ta->n_targets == 0 && ta->n_files == 0) {
        cli_error(ta->cmd, "no targets given (see --help)");
        return -1;
    }
    return 0;
}

/* Report a failed target entry; returns the exit code. */
static int target_error(const struct cli_targets *ta, const char *where, const char *entry, int r) {
    if (r == ICR_ENAMELOOKUP)
        cli_error(ta->cmd, "%scannot resolve '%s': %s", where, entry, icr_strerror(r));
    else if (r == ICR_EINVAL)
        cli_error(ta->cmd, "%sinvalid target '%s': not an address, CIDR (host bits zero), "
                  "range FIRST-LAST or host name, or too many addresses", where, entry);
    else
        cli_error(ta->cmd, "%s'%s': %s", where, entry, icr_strerror(r));
    return cli_exit_for(r);
}

/* Add (or exclude) the entries of one file; "-" is stdin. */
static int add_file(const struct cli_targets *ta, icr_targets *t, const char *path, bool exclude) {
    const bool is_stdin = !strcmp(path, "-");
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    size_t line = 0;
    int r;

    if (!f) {
        /* A file the system will not give us is a system error (4), like an
         * output that cannot be created; a bad line in it is a usage one. */
        cli_error(ta->cmd, "cannot open '%s': %s", path, strerror(errno));
        return EXIT_SYSTEM;
    }
    r = icr_targets_add_file(t, f, exclude, ta->flags, &line);
    if (!is_stdin)
        (void)fclose(f);
    if (r >= 0)
        return 0;
    const char *name = is_stdin ? "<stdin>" : path;
    if (icr_error_is(r, ICR_ESYSTEM)) {
        cli_error(ta->cmd, "%s: %s", name, icr_strerror(r));
        return EXIT_SYSTEM;
    }
    const char *msg = icr_strerror(r);
    if (r == ICR_EINVAL)
        msg = ta->brief_line_errors ? "invalid target"
                                    : "invalid target: not an address, CIDR (host bits zero), "
                                      "range FIRST-LAST or host name";
    else if (r == ICR_ENAMELOOKUP && !ta->brief_line_errors)
        msg = "cannot resolve the host name";
    cli_error(ta->cmd, "%s:%zu: %s", name, line, msg);
    return cli_exit_for(r);
}

int cli_targets_build(const struct cli_targets *ta, const char *empty, icr_targets **ret) {
    int r;

    if ((r = icr_targets_new(ret)) < 0) {
        cli_error(ta->cmd, "%s", icr_strerror(r));
        return EXIT_SYSTEM;
    }
    icr_targets *t = *ret;
    for (size_t i = 0; i < ta->n_targets; i++) {
        /* -4/-6 choose among a host name's addresses; an address of the
         * other family contradicts them. */
        const int fam = spec_family(ta->targets[i]);
        if ((fam == AF_INET6 && (ta->flags & ICR_TARGETS_ONLY_V4)) ||
            (fam == AF_INET && (ta->flags & ICR_TARGETS_ONLY_V6))) {
            const bool v4 = fam == AF_INET;
            cli_error(ta->cmd, "'%s' is %s, but %s asks for %s only", ta->targets[i],
                      v4 ? "IPv4" : "IPv6", v4 ? "-6" : "-4", v4 ? "IPv6" : "IPv4");
            return EXIT_USAGE;
        }
        if ((r = icr_targets_add(t, ta->targets[i], ta->flags)) < 0)
            return target_error(ta, "", ta->targets[i], r);
    }
    for (size_t i = 0; i < ta->n_files; i++)
        if ((r = add_file(ta, t, ta->files[i], false)) != 0)
            return r;
    if (ta->n_targets == 0 && icr_targets_count(t) == 0) {
        /* Only files, and nothing in them: say which. */
        if (ta->n_files == 1)
            cli_error(ta->cmd, "no targets in '%s' (expected one address, CIDR, range or host "
                      "name a line)", ta->files[0]);
        else
            cli_error(ta->cmd, "no targets in the given files (expected one address, CIDR, "
                      "range or host name a line)");
        return EXIT_USAGE;
    }
    /* Exclusions hold whatever the order, so they may come last. */
    for (size_t i = 0; i < ta->n_excludes; i++)
        if ((r = icr_targets_exclude(t, ta->excludes[i], ta->flags)) < 0)
            return target_error(ta, "--exclude: ", ta->excludes[i], r);
    for (size_t i = 0; i < ta->n_exclude_files; i++)
        if ((r = add_file(ta, t, ta->exclude_files[i], true)) != 0)
            return r;
    if (icr_targets_count(t) == 0) {
        cli_error(ta->cmd, "%s", empty);
        return EXIT_USAGE;
    }
    return 0;
}
