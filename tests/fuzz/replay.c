/* replay.c - a main() for a harness in the ordinary build: feed it each
 * file of the directories (or files) given, so the regression inputs of
 * tests/fuzz/regress/ and the seed corpus run in plain CI, under gcc and
 * the ASan build alike.  TAP on stdout: one line per directory. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* Feed one file; -1 if it cannot be read.  A crash ends the process, and
 * meson counts the test failed. */
static int feed(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = b;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    /* An exact-size copy, so ASan sees a read past the input. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    if (n)
        memcpy(exact, buf, n);
    free(buf);
    (void)LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

int main(int argc, char **argv) {
    int failed = 0;
    /* TAP on the real stdout; what a harness prints (the CLI's --help)
     * goes to /dev/null, where it cannot pass for TAP lines. */
    FILE *tap = fdopen(dup(STDOUT_FILENO), "w");
    if (!tap || !freopen("/dev/null", "w", stdout))
        return 1;
    setvbuf(tap, NULL, _IOLBF, 0);
    fprintf(tap, "1..%d\n", argc - 1);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int count = 0, bad = 0;
        if (stat(argv[i], &st) < 0) {
            /* A harness without regression inputs yet has no directory. */
            fprintf(tap, "ok %d - %s: absent, no inputs yet\n", i, argv[i]);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            struct dirent **list;
            int n = scandir(argv[i], &list, NULL, alphasort);
            for (int k = 0; k < n; k++) {
                char path[4096];
                if (list[k]->d_name[0] != '.' &&
                    snprintf(path, sizeof(path), "%s/%s", argv[i], list[k]->d_name) <
                        (int)sizeof(path)) {
                    if (feed(path) < 0)
                        bad++;
                    count++;
                }
                free(list[k]);
            }
            if (n >= 0)
                free(list);
            else
                bad++;
        } else {
            bad += feed(argv[i]) < 0;
            count++;
        }
        fprintf(tap, "%s %d - %s: %d inputs\n", bad ? "not ok" : "ok", i, argv[i], count);
        failed |= bad != 0;
    }
    return failed;
}
