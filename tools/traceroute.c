/* traceroute.c - placeholder, replaced below. */
#include "cli.h"
int cmd_traceroute(int argc, char **argv) {
    (void)argc;
    (void)argv;
    cli_error("traceroute", "not implemented yet");
    return EXIT_SYSTEM;
}
