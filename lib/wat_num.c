/* Text-format numeric literals (spec 6.3.1): integers with signs, hex and underscores; floats
 * in decimal or hex, inf, nan and nan:0x payloads, rounded to nearest. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wat.h"

static int digit_value(char c, bool hex)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (hex && c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (hex && c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads digits with single underscores between them from s[*i]; at least one digit. Returns
 * the count of digits, 0 on a syntax error; *overflow when the value passes 2^64. */
static size_t digits(const char *s, size_t len, size_t *i, bool hex, uint64_t *v, bool *overflow)
{
    size_t n = 0;
    while (*i < len) {
        char c = s[*i];
        if (c == '_') {
            if (!n || *i + 1 >= len || digit_value(s[*i + 1], hex) < 0) return 0;
            (*i)++;
            continue;
        }
        int d = digit_value(c, hex);
        if (d < 0) break;
        uint64_t base = hex ? 16 : 10;
        if (*v > (UINT64_MAX - (uint64_t)d) / base) *overflow = true;
        *v = *v * base + (uint64_t)d;
        n++;
        (*i)++;
    }
    return n;
}

/* Parses an unsigned magnitude (decimal or 0x hex) covering all of s. */
static NumResult magnitude(const char *s, size_t len, uint64_t *v)
{
    size_t i = 0;
    bool hex = len > 2 && s[0] == '0' && s[1] == 'x';
    if (hex) i = 2;
    bool overflow = false;
    *v = 0;
    if (!digits(s, len, &i, hex, v, &overflow) || i != len) return NUM_SYNTAX;
    return overflow ? NUM_RANGE : NUM_OK;
}

static const char *tok_text(const Tokens *t, size_t i, size_t *len)
{
    *len = t->toks[i].len;
    return t->src + t->toks[i].off;
}

NumResult wat_num_uint(const char *s, size_t len, unsigned bits, uint64_t *out)
{
    uint64_t v;
    NumResult r = len ? magnitude(s, len, &v) : NUM_SYNTAX;
    if (r != NUM_OK) return r;
    if (bits < 64 && v >> bits) return NUM_RANGE;
    *out = v;
    return NUM_OK;
}

NumResult wat_uint(const Tokens *t, size_t i, unsigned bits, uint64_t *out)
{
    if (i >= t->count || t->toks[i].kind != TOK_NUM) return NUM_SYNTAX;
    size_t len;
    const char *s = tok_text(t, i, &len);
    return wat_num_uint(s, len, bits, out);
}

NumResult wat_int(const Tokens *t, size_t i, unsigned bits, uint64_t *out)
{
    if (i >= t->count || t->toks[i].kind != TOK_NUM) return NUM_SYNTAX;
    size_t len;
    const char *s = tok_text(t, i, &len);
    bool neg = s[0] == '-', signed_ = s[0] == '-' || s[0] == '+';
    uint64_t v;
    NumResult r = magnitude(s + signed_, len - signed_, &v);
    if (r != NUM_OK) return r;
    uint64_t half = (uint64_t)1 << (bits - 1);
    if (neg ? v > half : signed_ ? v >= half : (bits < 64 && v >> bits)) return NUM_RANGE;
    if (neg) v = (uint64_t)0 - v;
    if (bits < 64) v &= ((uint64_t)1 << bits) - 1;
    *out = v;
    return NUM_OK;
}

/* Checks the float syntax of s (no sign) and writes it without underscores to buf. */
static bool float_syntax(const char *s, size_t len, char *buf, size_t cap)
{
    bool hex = len > 2 && s[0] == '0' && s[1] == 'x';
    size_t i = hex ? 2 : 0, w = 0;
    uint64_t ignore = 0;
    bool ov = false;
    if (!digits(s, len, &i, hex, &ignore, &ov)) return false;
    if (i < len && s[i] == '.') {
        i++;
        if (i < len && digit_value(s[i], hex) >= 0 && !digits(s, len, &i, hex, &ignore, &ov))
            return false;
    }
    if (i < len && (hex ? (s[i] == 'p' || s[i] == 'P') : (s[i] == 'e' || s[i] == 'E'))) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        if (!digits(s, len, &i, false, &ignore, &ov)) return false;
    }
    if (i != len || len + 2 >= cap) return false;
    for (size_t r = 0; r < len; r++)
        if (s[r] != '_') buf[w++] = s[r];
    if (hex && !memchr(buf, 'p', w) && !memchr(buf, 'P', w)) {
        buf[w++] = 'p'; /* strtod needs no exponent, but be explicit */
        buf[w++] = '0';
    }
    buf[w] = 0;
    return true;
}

static NumResult to_bits(const char *buf, unsigned width, uint64_t sign, uint64_t *bits);

/* Float literal to bits: width 32 or 64. */
static NumResult parse_float(const Tokens *t, size_t i, unsigned width, uint64_t *bits)
{
    if (i >= t->count || (t->toks[i].kind != TOK_NUM && t->toks[i].kind != TOK_KEYWORD))
        return NUM_SYNTAX;
    size_t len;
    const char *s = tok_text(t, i, &len);
    bool neg = s[0] == '-';
    if (s[0] == '-' || s[0] == '+') s++, len--;
    uint64_t sign = (uint64_t)neg << (width - 1);
    unsigned mant = width == 32 ? 23 : 52;
    uint64_t exp_all = width == 32 ? 0xFFull << 23 : 0x7FFull << 52;
    if (len == 3 && memcmp(s, "inf", 3) == 0) {
        *bits = sign | exp_all;
        return NUM_OK;
    }
    if (len == 3 && memcmp(s, "nan", 3) == 0) {
        *bits = sign | exp_all | (uint64_t)1 << (mant - 1);
        return NUM_OK;
    }
    if (len > 6 && memcmp(s, "nan:0x", 6) == 0) {
        uint64_t payload;
        NumResult r = magnitude(s + 4, len - 4, &payload);
        if (r != NUM_OK) return r;
        if (payload == 0 || payload >> mant) return NUM_RANGE;
        *bits = sign | exp_all | payload;
        return NUM_OK;
    }
    if (len == 0 || digit_value(s[0], false) < 0) return NUM_SYNTAX;
    char *buf = malloc(len + 4);
    if (!buf) return NUM_RANGE;
    bool ok = float_syntax(s, len, buf, len + 4);
    NumResult r = ok ? to_bits(buf, width, sign, bits) : NUM_SYNTAX;
    free(buf);
    return r;
}

static NumResult to_bits(const char *buf, unsigned width, uint64_t sign, uint64_t *bits)
{
    if (width == 32) {
        float f = strtof(buf, NULL);
        if (isinf(f)) return NUM_RANGE;
        uint32_t b;
        memcpy(&b, &f, 4);
        *bits = sign | b;
    } else {
        double d = strtod(buf, NULL);
        if (isinf(d)) return NUM_RANGE;
        uint64_t b;
        memcpy(&b, &d, 8);
        *bits = sign | b;
    }
    return NUM_OK;
}

NumResult wat_f32(const Tokens *t, size_t i, uint32_t *bits)
{
    uint64_t b;
    NumResult r = parse_float(t, i, 32, &b);
    if (r == NUM_OK) *bits = (uint32_t)b;
    return r;
}

NumResult wat_f64(const Tokens *t, size_t i, uint64_t *bits)
{
    return parse_float(t, i, 64, bits);
}
