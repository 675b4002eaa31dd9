/* Backtraces: the registry of loaded code ranges (address -> module and function), the frames
 * of traps, a small demangler and the description of a trap with its frames. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtrace.h"
#include "trap.h"

/* One module's code: its functions sorted by address. */
typedef struct CodeRange {
    uintptr_t lo, hi; /* the lowest function start and the highest function end */
    wk_module_t *mod;
    const CompiledCode *code;
    uint32_t *order; /* defined-function indices by increasing address */
} CodeRange;

static pthread_mutex_t ranges_lock = PTHREAD_MUTEX_INITIALIZER;
static CodeRange *ranges;
static size_t nranges, cap_ranges;

static const CompiledCode *sort_code; /* qsort has no context argument */

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)sort_code->funcs[*(const uint32_t *)a];
    uintptr_t y = (uintptr_t)sort_code->funcs[*(const uint32_t *)b];
    return x < y ? -1 : x > y;
}

/* A CodeRange for code, or one with order NULL when out of memory or empty. */
static CodeRange make_range(wk_module_t *mod, const CompiledCode *code)
{
    CodeRange r = {UINTPTR_MAX, 0, mod, code, NULL};
    if (!code->nfuncs || !code->sizes || !(r.order = malloc(code->nfuncs * sizeof *r.order)))
        return r;
    for (uint32_t i = 0; i < code->nfuncs; i++) {
        uintptr_t a = (uintptr_t)code->funcs[i];
        r.order[i] = i;
        if (a < r.lo) r.lo = a;
        if (a + code->sizes[i] > r.hi) r.hi = a + code->sizes[i];
    }
    sort_code = code;
    qsort(r.order, code->nfuncs, sizeof *r.order, by_address);
    return r;
}

void backtrace_add_code(wk_module_t *mod, const CompiledCode *code)
{
    if (!code) return;
    pthread_mutex_lock(&ranges_lock);
    CodeRange r = make_range(mod, code);
    if (r.order && nranges == cap_ranges) {
        size_t cap = cap_ranges ? 2 * cap_ranges : 16;
        CodeRange *p = realloc(ranges, cap * sizeof *p);
        if (p) {
            ranges = p;
            cap_ranges = cap;
        }
    }
    if (r.order && nranges < cap_ranges) ranges[nranges++] = r;
    else free(r.order);
    pthread_mutex_unlock(&ranges_lock);
}

void backtrace_remove_module(const wk_module_t *mod)
{
    pthread_mutex_lock(&ranges_lock);
    for (size_t i = nranges; i-- > 0;) {
        if (ranges[i].mod != mod) continue;
        free(ranges[i].order);
        ranges[i] = ranges[--nranges];
    }
    pthread_mutex_unlock(&ranges_lock);
}

/* The defined function of r containing a, or UINT32_MAX. */
static uint32_t find_func(const CodeRange *r, uintptr_t a)
{
    uint32_t lo = 0, hi = r->code->nfuncs; /* first start > a is at hi */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)r->code->funcs[r->order[mid]] <= a) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return UINT32_MAX;
    uint32_t f = r->order[lo - 1];
    return a < (uintptr_t)r->code->funcs[f] + r->code->sizes[f] ? f : UINT32_MAX;
}

/* ---- frames ------------------------------------------------------------------------------ */

static char *copy_name(const char *data, size_t len)
{
    char *s = malloc(len + 1);
    if (!s) return NULL;
    memcpy(s, data, len);
    s[len] = 0;
    return s;
}

/* The frame of defined function f of mod (names copied, demangled); false without memory. */
static bool make_frame(const wk_module_t *mod, uint32_t f, wk_frame_t *out)
{
    const Module *m = mod->m;
    uint32_t index = m->nimported_funcs + f;
    Name fname = module_func_display_name(m, index), mname = m->names.module;
    char demangled[512];
    const char *fn = fname.data ? fname.data : "";
    size_t flen = fname.size;
    if (backtrace_demangle(fn, flen, demangled, sizeof demangled)) {
        fn = demangled;
        flen = strlen(demangled);
    }
    char *fcopy = copy_name(fn, flen);
    char *mcopy = copy_name(mname.data ? mname.data : "", mname.size);
    if (!fcopy || !mcopy) {
        free(fcopy);
        free(mcopy);
        return false;
    }
    *out = (wk_frame_t){{mname.size, mcopy}, index, {flen, fcopy}, m->funcs[f].code_offset};
    return true;
}

/* Appends the frame for code address a when it is in Wasm code. Holds ranges_lock. */
static void add_frame(wk_trap_t *trap, uintptr_t a, size_t *cap)
{
    for (size_t i = 0; i < nranges; i++) {
        const CodeRange *r = &ranges[i];
        if (a < r->lo || a >= r->hi) continue;
        uint32_t f = find_func(r, a);
        if (f == UINT32_MAX) continue;
        if (trap->nframes == *cap) {
            size_t n = *cap ? 2 * *cap : 8;
            wk_frame_t *p = realloc(trap->frames, n * sizeof *p);
            if (!p) return;
            trap->frames = p;
            *cap = n;
        }
        if (make_frame(r->mod, f, &trap->frames[trap->nframes])) trap->nframes++;
        return;
    }
}

void backtrace_resolve(wk_trap_t *trap, void *const *pcs, uint32_t n, uint32_t more)
{
    size_t cap = trap->nframes; /* the array is exactly full */
    pthread_mutex_lock(&ranges_lock);
    for (uint32_t i = 0; i < n; i++) add_frame(trap, (uintptr_t)pcs[i], &cap);
    pthread_mutex_unlock(&ranges_lock);
    trap->more_frames += more;
    if (trap->nframes && cap > trap->nframes) { /* keep "exactly full" for the next append */
        wk_frame_t *p = realloc(trap->frames, trap->nframes * sizeof *p);
        if (p) trap->frames = p;
    }
    free(trap->describe);
    trap->describe = NULL;
}

void backtrace_free_frames(wk_trap_t *trap)
{
    for (size_t i = 0; i < trap->nframes; i++) {
        free((char *)trap->frames[i].module_name.data);
        free((char *)trap->frames[i].func_name.data);
    }
    free(trap->frames);
    free(trap->describe);
}

/* ---- description ------------------------------------------------------------------------- */

const char *backtrace_describe(wk_trap_t *trap)
{
    if (trap->describe) return trap->describe;
    if (!trap->nframes) return trap->message;
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) return trap->message;
    fprintf(f, "%s\nwasm backtrace:", trap->message);
    for (size_t i = 0; i < trap->nframes; i++) {
        const wk_frame_t *fr = &trap->frames[i];
        fprintf(f, "\n    %zu: %#6zx - %s!", i, fr->module_offset,
                fr->module_name.size ? fr->module_name.data : "<unknown>");
        if (fr->func_name.size) fputs(fr->func_name.data, f);
        else fprintf(f, "<wasm function %u>", fr->func_index);
    }
    if (trap->more_frames) fprintf(f, "\n    ... %zu more frames", trap->more_frames);
    if (fclose(f) != 0) {
        free(buf);
        return trap->message;
    }
    trap->describe = buf;
    return buf;
}

/* ---- demangling -------------------------------------------------------------------------- */

/* Reads a decimal length at *p (< end); 0 when there is none. */
static size_t read_len(const char **p, const char *end)
{
    size_t n = 0;
    while (*p < end && **p >= '0' && **p <= '9' && n < 100000) n = n * 10 + (size_t)(*(*p)++ - '0');
    return n;
}

/* True for a Rust legacy hash segment: "h" and 16 hex digits. */
static bool is_rust_hash(const char *s, size_t n)
{
    if (n != 17 || s[0] != 'h') return false;
    for (size_t i = 1; i < n; i++)
        if (!strchr("0123456789abcdef", s[i])) return false;
    return true;
}

/* Appends s[0..n) to out at *at, with Rust's "$LT$"-style escapes of legacy names undone
 * for the common ones; false when out is full. */
static bool append(char *out, size_t size, size_t *at, const char *s, size_t n)
{
    static const struct { const char *esc, *ch; } escapes[] = {
        {"$LT$", "<"}, {"$GT$", ">"}, {"$RF$", "&"}, {"$BP$", "*"}, {"$C$", ","},
        {"$u20$", " "}, {"$u27$", "'"}, {"$u5b$", "["}, {"$u5d$", "]"}, {"..", "::"},
    };
    for (size_t i = 0; i < n;) {
        const char *rep = NULL;
        size_t skip = 1;
        for (size_t e = 0; e < sizeof escapes / sizeof escapes[0] && !rep; e++) {
            size_t el = strlen(escapes[e].esc);
            if (el <= n - i && memcmp(s + i, escapes[e].esc, el) == 0) {
                rep = escapes[e].ch;
                skip = el;
            }
        }
        size_t rl = rep ? strlen(rep) : 1;
        if (*at + rl + 1 > size) return false;
        memcpy(out + *at, rep ? rep : s + i, rl);
        *at += rl;
        i += skip;
    }
    out[*at] = 0;
    return true;
}

bool backtrace_demangle(const char *name, size_t len, char *out, size_t size)
{
    if (len < 4 || memcmp(name, "_Z", 2) != 0 || size == 0) return false;
    const char *p = name + 2, *end = name + len;
    bool nested = *p == 'N';
    if (nested) p++;
    while (nested && p < end && strchr("rVKRO", *p)) p++; /* cv- and ref-qualifiers */
    size_t at = 0;
    int parts = 0;
    while (p < end && *p >= '1' && *p <= '9') {
        size_t n = read_len(&p, end);
        if (n > (size_t)(end - p)) return false;
        if (is_rust_hash(p, n) && p + n < end && p[n] == 'E') break;
        if ((parts && !append(out, size, &at, "::", 2)) || !append(out, size, &at, p, n))
            return false;
        parts++;
        p += n;
        if (!nested) break;
    }
    return parts > 0;
}
