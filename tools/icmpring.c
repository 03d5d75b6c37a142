/* icmpring.c - the command-line tool's entry point: global options and the
 * dispatch to subcommands.  All printing of the project happens in tools/. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "icmpring.h"
#include "scale.h"

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
    {"ping", cmd_ping, "send Echo Requests to one host (like ping(8), icmplib's ping)"},
    {"multiping", cmd_multiping, "ping many hosts at once, one summary each (like fping -c/-C)"},
    {"sweep", cmd_sweep, "find the live hosts of address ranges (like zmap/fping -g)"},
    {"traceroute", cmd_traceroute, "the routes to one or many destinations (like traceroute)"},
    {"merge", cmd_merge, "merge the shards of one run into one output, checked"},
};

static void usage(FILE *f) {
    fprintf(f, "Usage: icmpring COMMAND [OPTIONS...]\n"
               "       icmpring --help | --version\n\nCommands:\n");
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(f, "\n'icmpring COMMAND --help' describes a command.\n\n%s\n", CLI_EXIT_CODES_HELP);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("icmpring %s\n", icr_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        if (!strcmp(argv[1], subcommands[i].name))
            return subcommands[i].run(argc - 1, argv + 1);
    cli_error(NULL, "unknown command '%s' (try 'icmpring --help')", argv[1]);
    return EXIT_USAGE;
}
