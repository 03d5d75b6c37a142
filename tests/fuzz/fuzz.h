/* fuzz.h - what the libFuzzer harnesses of tests/fuzz share: the entry
 * point's prototype (the harnesses are built warning-free with
 * -Wmissing-prototypes) and a reader that takes fields off the input.
 *
 * Each harness is built twice: with clang's libFuzzer (-Dfuzz=true), and
 * into a replay runner (replay.c) of the ordinary build that feeds it the
 * checked-in corpus and every regression input (meson test --suite unit).
 * A harness never opens a socket, resolves a name or reads a file. */
#ifndef ICR_FUZZ_H
#define ICR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input, consumed from the front. */
struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

/* The next byte, 0 once the input is used up. */
static inline uint8_t fuzz_u8(struct fuzz_in *in) {
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in) {
    uint16_t hi = fuzz_u8(in);
    return (uint16_t)(hi << 8 | fuzz_u8(in));
}

static inline uint32_t fuzz_u32(struct fuzz_in *in) {
    uint32_t hi = fuzz_u16(in);
    return hi << 16 | fuzz_u16(in);
}

static inline uint64_t fuzz_u64(struct fuzz_in *in) {
    uint64_t hi = fuzz_u32(in);
    return hi << 32 | fuzz_u32(in);
}

#endif
