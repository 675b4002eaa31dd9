/* Bounded byte cursor and LEB128 decoding (spec 5.2.2), UTF-8 name validation (spec 5.2.4).
 * Every read checks the bound first; errors carry the offset of the offending byte. */
#include <string.h>

#include "error.h"
#include "reader.h"

#define UNEXPECTED_END "unexpected end of section or function"

wk_error_t *reader_u8(Reader *r, uint8_t *out)
{
    if (r->pos >= r->end) return error_malformed(r->pos, UNEXPECTED_END);
    *out = r->base[r->pos++];
    return NULL;
}

/* Unsigned LEB128 of at most `bits` bits (spec: at most ceil(bits/7) bytes, unused bits of the
 * last byte zero). */
static wk_error_t *read_uleb(Reader *r, unsigned bits, uint64_t *out)
{
    unsigned maxbytes = (bits + 6) / 7;
    uint64_t v = 0;
    for (unsigned i = 0;; i++) {
        if (r->pos >= r->end) return error_malformed(r->pos, UNEXPECTED_END);
        uint8_t b = r->base[r->pos++];
        if (i == maxbytes - 1) {
            if (b & 0x80) return error_malformed(r->pos - 1, "integer representation too long");
            unsigned used = bits - 7 * i;
            if (b >> used) return error_malformed(r->pos - 1, "integer too large");
        }
        v |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) break;
    }
    *out = v;
    return NULL;
}

/* Signed LEB128 of at most `bits` bits; the unused bits of the last byte must be the sign
 * extension of the last used bit. */
static wk_error_t *read_sleb(Reader *r, unsigned bits, int64_t *out)
{
    unsigned maxbytes = (bits + 6) / 7;
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    for (unsigned i = 0;; i++) {
        if (r->pos >= r->end) return error_malformed(r->pos, UNEXPECTED_END);
        b = r->base[r->pos++];
        if (i == maxbytes - 1) {
            if (b & 0x80) return error_malformed(r->pos - 1, "integer representation too long");
            unsigned used = bits - 7 * i; /* value bits in this byte, 1..7 */
            if (used < 7) {
                uint8_t rest = (uint8_t)(b >> (used - 1)) & (uint8_t)(0x7F >> (used - 1));
                uint8_t ones = (uint8_t)(0x7F >> (used - 1));
                if (rest != 0 && rest != ones)
                    return error_malformed(r->pos - 1, "integer too large");
            }
        }
        v |= (uint64_t)(b & 0x7F) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
    }
    if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
    *out = (int64_t)v;
    return NULL;
}

wk_error_t *reader_u32(Reader *r, uint32_t *out)
{
    /* Fast path: one byte. */
    if (r->pos < r->end && !(r->base[r->pos] & 0x80)) {
        *out = r->base[r->pos++];
        return NULL;
    }
    uint64_t v = 0;
    wk_error_t *e = read_uleb(r, 32, &v);
    if (!e) *out = (uint32_t)v;
    return e;
}

wk_error_t *reader_s32(Reader *r, int32_t *out)
{
    int64_t v = 0;
    wk_error_t *e = read_sleb(r, 32, &v);
    if (!e) *out = (int32_t)v;
    return e;
}

wk_error_t *reader_s33(Reader *r, int64_t *out)
{
    return read_sleb(r, 33, out);
}

wk_error_t *reader_s64(Reader *r, int64_t *out)
{
    return read_sleb(r, 64, out);
}

wk_error_t *reader_len(Reader *r, uint32_t *out)
{
    size_t start = r->pos;
    wk_error_t *e = reader_u32(r, out);
    if (e) return e;
    if (*out > r->end - start) return error_malformed(start, "length out of bounds");
    return NULL;
}

wk_error_t *reader_bytes(Reader *r, size_t n, const uint8_t **out)
{
    if (n > r->end - r->pos) return error_malformed(r->end, UNEXPECTED_END);
    *out = r->base + r->pos;
    r->pos += n;
    return NULL;
}

wk_error_t *reader_f32(Reader *r, uint32_t *bits)
{
    const uint8_t *p = NULL;
    wk_error_t *e = reader_bytes(r, 4, &p);
    if (e) return e;
    *bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return NULL;
}

wk_error_t *reader_f64(Reader *r, uint64_t *bits)
{
    uint32_t lo, hi;
    wk_error_t *e = reader_f32(r, &lo);
    if (!e) e = reader_f32(r, &hi);
    if (!e) *bits = (uint64_t)hi << 32 | lo;
    return e;
}

/* Length of the UTF-8 sequence at s (at most n bytes), or 0 when it is not a valid scalar
 * value encoding (overlong, surrogate, above U+10FFFF, truncated, bad continuation). */
static size_t utf8_char(const uint8_t *s, size_t n)
{
    uint8_t b = s[0];
    if (b < 0x80) return 1;
    size_t len;
    uint32_t min, c;
    if (b >= 0xC2 && b <= 0xDF) len = 2, min = 0x80, c = b & 0x1F;
    else if ((b & 0xF0) == 0xE0) len = 3, min = 0x800, c = b & 0x0F;
    else if (b >= 0xF0 && b <= 0xF4) len = 4, min = 0x10000, c = b & 0x07;
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = c << 6 | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    return len;
}

/* True when the n bytes at s are valid UTF-8. */
bool reader_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t len = utf8_char(s + i, n - i);
        if (!len) return false;
        i += len;
    }
    return true;
}

wk_error_t *reader_name(Reader *r, Name *out)
{
    uint32_t n;
    wk_error_t *e = reader_len(r, &n);
    if (e) return e;
    if (n > r->end - r->pos) return error_malformed(r->end, UNEXPECTED_END);
    const uint8_t *p = r->base + r->pos;
    if (!reader_utf8_valid(p, n)) return error_malformed(r->pos, "malformed UTF-8 encoding");
    r->pos += n;
    out->size = n;
    out->data = (const char *)p;
    return NULL;
}

wk_error_t *reader_unexpected_end(const Reader *r)
{
    return error_malformed(r->pos, UNEXPECTED_END);
}

bool reader_is_valtype(uint8_t b)
{
    return b == WK_I32 || b == WK_I64 || b == WK_F32 || b == WK_F64 || b == WK_V128 ||
           b == WK_FUNCREF || b == WK_EXTERNREF;
}

wk_error_t *reader_reftype(Reader *r, ValType *out)
{
    uint8_t b = 0;
    wk_error_t *err = reader_u8(r, &b);
    if (err) return err;
    if (b != WK_FUNCREF && b != WK_EXTERNREF)
        return error_malformed(r->pos - 1, "malformed reference type");
    *out = b;
    return NULL;
}
