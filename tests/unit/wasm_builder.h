/* Shared by the unit tests: a tiny binary-module writer for modules too large or too regular to
 * embed as bytes (100,000 functions, 10,000-deep nesting, 50,000 locals). */
#ifndef WK_TEST_WASM_BUILDER_H
#define WK_TEST_WASM_BUILDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct Buf {
    uint8_t *p;
    size_t n, cap;
} Buf;

static inline void buf_bytes(Buf *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    if (n) memcpy(b->p + b->n, data, n);
    b->n += n;
}

static inline void buf_byte(Buf *b, uint8_t v)
{
    buf_bytes(b, &v, 1);
}

static inline void buf_u32(Buf *b, uint32_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        buf_byte(b, (uint8_t)(c | (v ? 0x80 : 0)));
    } while (v);
}

static inline void buf_s64(Buf *b, int64_t v)
{
    for (;;) {
        uint8_t c = v & 0x7f;
        v >>= 7; /* arithmetic on every compiler we build with */
        if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
            buf_byte(b, c);
            return;
        }
        buf_byte(b, c | 0x80);
    }
}

static inline void buf_name(Buf *b, const char *s)
{
    buf_u32(b, (uint32_t)strlen(s));
    buf_bytes(b, s, strlen(s));
}

/* Appends section `id` holding `content`, and empties content for reuse. */
static inline void buf_section(Buf *mod, uint8_t id, Buf *content)
{
    buf_byte(mod, id);
    buf_u32(mod, (uint32_t)content->n);
    buf_bytes(mod, content->p, content->n);
    content->n = 0;
}

static inline void buf_header(Buf *mod)
{
    buf_bytes(mod, "\0asm\1\0\0\0", 8);
}

static inline void buf_free(Buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

#endif
