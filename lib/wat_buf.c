/* Growable byte buffers with LEB128 writers, used by the text-to-binary encoder. Allocation
 * failure aborts (the same policy as the decoder's vectors would need; inputs are bounded). */
#include <stdlib.h>
#include <string.h>

#include "wat.h"

static void reserve(WatBuf *b, size_t n)
{
    if (b->len + n <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n) cap *= 2;
    uint8_t *d = realloc(b->data, cap);
    if (!d) abort();
    b->data = d;
    b->cap = cap;
}

void buf_byte(WatBuf *b, uint8_t v)
{
    reserve(b, 1);
    b->data[b->len++] = v;
}

void buf_bytes(WatBuf *b, const void *p, size_t n)
{
    if (!n) return;
    reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_u32(WatBuf *b, uint32_t v)
{
    buf_u64(b, v);
}

void buf_u64(WatBuf *b, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7F;
        v >>= 7;
        buf_byte(b, v ? byte | 0x80 : byte);
    } while (v);
}

void buf_s64(WatBuf *b, int64_t v)
{
    for (;;) {
        uint8_t byte = (uint8_t)(v & 0x7F);
        v >>= 7; /* arithmetic shift */
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        buf_byte(b, done ? byte : byte | 0x80);
        if (done) return;
    }
}

void buf_s32(WatBuf *b, int32_t v)
{
    buf_s64(b, v);
}

void buf_name(WatBuf *b, const void *p, size_t n)
{
    buf_u32(b, (uint32_t)n);
    buf_bytes(b, p, n);
}

void buf_free(WatBuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}
