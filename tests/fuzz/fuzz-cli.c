/* fuzz-cli.c - the option parsers of every subcommand (cli-parse.h) on
 * any argv: the first byte picks ping, sweep, multiping or traceroute, the
 * rest split at NUL bytes is the arguments.  Parse only: no name is
 * resolved, no file read, no socket opened, no job started.  What the
 * parsers print (help, one-line errors) goes where it goes. */
#include <stdbool.h>
#include <stdlib.h>

#include "cli-parse.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const names[] = {"ping", "sweep", "multiping", "traceroute"};
    static int (*const parse[])(int, char **) = {cli_ping_parse_only, cli_sweep_parse_only,
                                                 cli_multiping_parse_only,
                                                 cli_traceroute_parse_only};
    struct fuzz_in in = {data, size};
    unsigned cmd = fuzz_u8(&in) % 4;
    if (in.n > 4096)
        return 0; /* long enough for any option; keeps argv small */

    /* Each argument its own exact-size heap string, so a read past one is
     * an ASan report; argv[argc] is NULL as execve leaves it. */
    size_t argc = 1;
    for (size_t i = 0; i < in.n; i++)
        argc += in.p[i] == '\0';
    if (in.n)
        argc++;
    char **argv = calloc(argc + 1, sizeof(char *));
    if (!argv)
        return 0;
    argv[0] = strdup(names[cmd]);
    size_t k = 1;
    for (size_t start = 0; in.n && start <= in.n && k < argc; k++) {
        size_t end = start;
        while (end < in.n && in.p[end] != '\0')
            end++;
        argv[k] = malloc(end - start + 1);
        if (argv[k]) {
            memcpy(argv[k], in.p + start, end - start);
            argv[k][end - start] = '\0';
        }
        start = end + 1;
    }
    bool whole = argv[0] != NULL;
    for (size_t i = 1; i < k; i++)
        whole = whole && argv[i];
    if (whole)
        (void)parse[cmd]((int)k, argv);
    for (size_t i = 0; i < k; i++)
        free(argv[i]);
    free(argv);

    /* A second parse of a fresh argv in the same process: nothing of the
     * first (getopt's position inside a freed argument) may carry over.
     * This makes an input that leaves such state fail on its own: a stale
     * option is a read of freed memory (valgrind sees it in libc's getopt;
     * ASan only when the option's value is read in cli.c) and, as here,
     * a different answer. */
    char *again[] = {strdup(names[cmd]), strdup("198.18.0.1"), NULL};
    if (again[0] && again[1] && parse[cmd](2, again) != 0)
        abort(); /* one address is a valid command line for all four */
    free(again[0]);
    free(again[1]);
    return 0;
}
