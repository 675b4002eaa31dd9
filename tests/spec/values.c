/* Spec-runner values: parsing wast2json values (decimal bit patterns, NaN patterns, v128 lanes,
 * references), comparing results against them, and printing both for failure messages. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

typedef struct LaneInfo {
    const char *name;
    unsigned count;
    unsigned width; /* bytes */
    bool is_float;
} LaneInfo;

static const LaneInfo lanes[] = {
    [LANE_NONE] = {"i32", 4, 4, false}, [LANE_I8] = {"i8", 16, 1, false},
    [LANE_I16] = {"i16", 8, 2, false},  [LANE_I32] = {"i32", 4, 4, false},
    [LANE_I64] = {"i64", 2, 8, false},  [LANE_F32] = {"f32", 4, 4, true},
    [LANE_F64] = {"f64", 2, 8, true},
};

static const struct {
    const char *name;
    wk_valkind_t kind;
} kinds[] = {
    {"i32", WK_I32},   {"i64", WK_I64},         {"f32", WK_F32},           {"f64", WK_F64},
    {"v128", WK_V128}, {"funcref", WK_FUNCREF}, {"externref", WK_EXTERNREF},
};

/* ---- ref.extern N ---------------------------------------------------------------------- */

static struct {
    uint64_t *numbers;
    void **ptrs;
    size_t count, cap;
} externs;

void *externref_of(uint64_t n)
{
    for (size_t i = 0; i < externs.count; i++)
        if (externs.numbers[i] == n) return externs.ptrs[i];
    if (externs.count == externs.cap) {
        externs.cap = externs.cap ? 2 * externs.cap : 16;
        externs.numbers = realloc(externs.numbers, externs.cap * sizeof *externs.numbers);
        externs.ptrs = realloc(externs.ptrs, externs.cap * sizeof *externs.ptrs);
        if (!externs.numbers || !externs.ptrs) abort();
    }
    void *p = malloc(1);
    if (!p) abort();
    externs.numbers[externs.count] = n;
    externs.ptrs[externs.count++] = p;
    return p;
}

/* The N of a pointer made by externref_of; false for any other pointer. */
static bool externref_number(const void *p, uint64_t *n)
{
    for (size_t i = 0; i < externs.count; i++) {
        if (externs.ptrs[i] == p) {
            *n = externs.numbers[i];
            return true;
        }
    }
    return false;
}

void externref_free_all(void)
{
    for (size_t i = 0; i < externs.count; i++) free(externs.ptrs[i]);
    free(externs.numbers);
    free(externs.ptrs);
    memset(&externs, 0, sizeof externs);
}

/* ---- Parsing ------------------------------------------------------------------------- */

/* Parses a decimal (wast2json writes unsigned bit patterns; a '-' is accepted too). */
static bool parse_bits(const char *s, uint64_t *out)
{
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    if (*s == '-')
        *out = (uint64_t)strtoll(s, &end, 10);
    else
        *out = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0';
}

/* Parses a float or float lane: a bit pattern or a NaN pattern. */
static bool parse_float(const char *s, uint64_t *bits, uint8_t *pat)
{
    *bits = 0;
    *pat = PAT_EXACT;
    if (s && strcmp(s, "nan:canonical") == 0)
        *pat = PAT_NAN_CANONICAL;
    else if (s && strcmp(s, "nan:arithmetic") == 0)
        *pat = PAT_NAN_ARITHMETIC;
    else
        return parse_bits(s, bits);
    return true;
}

static void store_le(uint8_t *dst, uint64_t v, unsigned width)
{
    for (unsigned i = 0; i < width; i++) dst[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t load_le(const uint8_t *src, unsigned width)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++) v |= (uint64_t)src[i] << (8 * i);
    return v;
}

static uint8_t lane_of(const char *name)
{
    for (uint8_t l = LANE_I8; l <= LANE_F64; l++)
        if (name && strcmp(name, lanes[l].name) == 0) return l;
    return LANE_NONE;
}

static bool parse_v128(const cJSON *json, Value *out, char *err, size_t errlen)
{
    const cJSON *lane_type = cJSON_GetObjectItemCaseSensitive(json, "lane_type");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(json, "value");
    out->lane = lane_of(cJSON_GetStringValue(lane_type));
    const LaneInfo *li = &lanes[out->lane];
    if (out->lane == LANE_NONE || !cJSON_IsArray(items) ||
        cJSON_GetArraySize(items) != (int)li->count) {
        snprintf(err, errlen, "bad v128 value");
        return false;
    }
    unsigned i = 0;
    for (const cJSON *it = items->child; it; it = it->next, i++) {
        uint64_t bits;
        const char *s = cJSON_GetStringValue(it);
        bool ok = li->is_float ? parse_float(s, &bits, &out->pat[i]) : parse_bits(s, &bits);
        if (!ok) {
            snprintf(err, errlen, "bad v128 lane \"%s\"", s ? s : "?");
            return false;
        }
        store_le(out->val.of.v128 + i * li->width, bits, li->width);
    }
    return true;
}

static bool parse_ref(const char *s, Value *out, char *err, size_t errlen)
{
    uint64_t n;
    if (!s) {
        out->pat[0] = PAT_ANY_REF; /* an expected non-null reference of unknown identity */
    } else if (strcmp(s, "null") == 0) {
        out->val.of.externref = NULL;
    } else if (out->val.kind == WK_EXTERNREF && parse_bits(s, &n)) {
        out->val.of.externref = externref_of(n);
    } else {
        snprintf(err, errlen, "bad reference value \"%s\"", s);
        return false;
    }
    return true;
}

static bool parse_scalar(const char *s, Value *out, char *err, size_t errlen)
{
    uint64_t bits = 0;
    bool ok;
    if (out->val.kind == WK_F32 || out->val.kind == WK_F64)
        ok = parse_float(s, &bits, &out->pat[0]);
    else
        ok = parse_bits(s, &bits);
    if (!ok) {
        snprintf(err, errlen, "bad value \"%s\"", s ? s : "?");
        return false;
    }
    switch (out->val.kind) {
    case WK_I32: out->val.of.i32 = (int32_t)(uint32_t)bits; break;
    case WK_F32: out->val.of.f32_bits = (uint32_t)bits; break;
    case WK_I64: out->val.of.i64 = (int64_t)bits; break;
    default: out->val.of.f64_bits = bits; break;
    }
    return true;
}

bool value_parse(const cJSON *json, Value *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "type"));
    size_t k = 0;
    while (k < sizeof kinds / sizeof kinds[0] && !(type && strcmp(type, kinds[k].name) == 0))
        k++;
    if (k == sizeof kinds / sizeof kinds[0]) {
        snprintf(err, errlen, "unknown value type \"%s\"", type ? type : "?");
        return false;
    }
    out->val.kind = kinds[k].kind;
    if (out->val.kind == WK_V128) return parse_v128(json, out, err, errlen);
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "value"));
    if (out->val.kind == WK_FUNCREF || out->val.kind == WK_EXTERNREF)
        return parse_ref(s, out, err, errlen);
    return parse_scalar(s, out, err, errlen);
}

/* ---- Matching ------------------------------------------------------------------------ */

/* A float of width 4 or 8 bytes against a pattern (spec "nan:canonical": only the quiet bit
 * set in the payload; "nan:arithmetic": the quiet bit set). */
static bool float_match(uint64_t want, uint64_t got, uint8_t pat, unsigned width)
{
    uint64_t sign = width == 4 ? 0x80000000u : 0x8000000000000000u;
    uint64_t canon = width == 4 ? 0x7fc00000u : 0x7ff8000000000000u;
    switch (pat) {
    case PAT_NAN_CANONICAL: return (got & ~sign) == canon;
    case PAT_NAN_ARITHMETIC: return (got & canon) == canon;
    default: return got == want;
    }
}

static bool v128_match(const Value *e, const uint8_t *got)
{
    const LaneInfo *li = &lanes[e->lane];
    for (unsigned i = 0; i < li->count; i++) {
        uint64_t want = load_le(e->val.of.v128 + i * li->width, li->width);
        uint64_t have = load_le(got + i * li->width, li->width);
        if (!float_match(want, have, li->is_float ? e->pat[i] : PAT_EXACT, li->width))
            return false;
    }
    return true;
}

bool value_match(const Value *e, const wk_val_t *got)
{
    if (got->kind != e->val.kind) return false;
    switch (e->val.kind) {
    case WK_I32: return got->of.i32 == e->val.of.i32;
    case WK_I64: return got->of.i64 == e->val.of.i64;
    case WK_F32: return float_match(e->val.of.f32_bits, got->of.f32_bits, e->pat[0], 4);
    case WK_F64: return float_match(e->val.of.f64_bits, got->of.f64_bits, e->pat[0], 8);
    case WK_V128: return v128_match(e, got->of.v128);
    case WK_FUNCREF:
        if (e->pat[0] == PAT_ANY_REF) return got->of.funcref != NULL;
        return got->of.funcref == e->val.of.funcref;
    default:
        if (e->pat[0] == PAT_ANY_REF) return got->of.externref != NULL;
        return got->of.externref == e->val.of.externref;
    }
}

/* ---- Printing ------------------------------------------------------------------------ */

static const char *kind_name(wk_valkind_t kind)
{
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (kinds[k].kind == kind) return kinds[k].name;
    return "?";
}

static const char *pattern_name(uint8_t pat)
{
    return pat == PAT_NAN_CANONICAL ? "nan:canonical" : "nan:arithmetic";
}

static void float_format(uint64_t bits, uint8_t pat, unsigned width, char *buf, size_t len)
{
    if (pat == PAT_NAN_CANONICAL || pat == PAT_NAN_ARITHMETIC) {
        snprintf(buf, len, "%s", pattern_name(pat));
    } else if (width == 4) {
        float f;
        uint32_t b = (uint32_t)bits;
        memcpy(&f, &b, 4);
        snprintf(buf, len, "0x%08" PRIx32 "(%.9g)", b, (double)f);
    } else {
        double d;
        memcpy(&d, &bits, 8);
        snprintf(buf, len, "0x%016" PRIx64 "(%.17g)", bits, d);
    }
}

static void lane_format(const uint8_t *v128, const uint8_t *pat, uint8_t lane, char *buf,
                        size_t len)
{
    const LaneInfo *li = &lanes[lane];
    size_t used = (size_t)snprintf(buf, len, "v128:%sx%u:", li->name, li->count);
    for (unsigned i = 0; i < li->count && used < len; i++) {
        uint64_t bits = load_le(v128 + i * li->width, li->width);
        char one[64];
        if (li->is_float)
            float_format(bits, pat ? pat[i] : PAT_EXACT, li->width, one, sizeof one);
        else
            snprintf(one, sizeof one, "%" PRIu64, bits);
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", one);
    }
}

static void ref_format(const wk_val_t *v, uint8_t pat, char *buf, size_t len)
{
    uint64_t n;
    const void *p = v->kind == WK_FUNCREF ? (const void *)v->of.funcref : v->of.externref;
    if (pat == PAT_ANY_REF)
        snprintf(buf, len, "%s:non-null", kind_name(v->kind));
    else if (!p)
        snprintf(buf, len, "%s:null", kind_name(v->kind));
    else if (v->kind == WK_EXTERNREF && externref_number(p, &n))
        snprintf(buf, len, "externref:%" PRIu64, n);
    else
        snprintf(buf, len, "%s:%p", kind_name(v->kind), p);
}

static void format_with(const wk_val_t *v, const uint8_t *pat, uint8_t lane, char *buf,
                        size_t len)
{
    char num[64];
    switch (v->kind) {
    case WK_I32: snprintf(buf, len, "i32:%" PRIu32, (uint32_t)v->of.i32); break;
    case WK_I64: snprintf(buf, len, "i64:%" PRIu64, (uint64_t)v->of.i64); break;
    case WK_F32:
        float_format(v->of.f32_bits, pat[0], 4, num, sizeof num);
        snprintf(buf, len, "f32:%s", num);
        break;
    case WK_F64:
        float_format(v->of.f64_bits, pat[0], 8, num, sizeof num);
        snprintf(buf, len, "f64:%s", num);
        break;
    case WK_V128: lane_format(v->of.v128, pat, lane, buf, len); break;
    case WK_FUNCREF:
    case WK_EXTERNREF: ref_format(v, pat[0], buf, len); break;
    default: snprintf(buf, len, "<value of kind 0x%02x>", v->kind); break;
    }
}

void value_format(const Value *v, char *buf, size_t len)
{
    format_with(&v->val, v->pat, v->lane, buf, len);
}

void value_format_got(const wk_val_t *v, uint8_t lane, char *buf, size_t len)
{
    static const uint8_t exact[16];
    format_with(v, exact, lane, buf, len);
}
