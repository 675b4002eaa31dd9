/* A module in the style of wasm-bindgen / emscripten output, for examples/glue.py: strings
 * cross the boundary as (pointer, length) in linear memory, the host allocates with the
 * module's exported allocator, the module logs and throws through imports of module "wbg".
 * Compiled to examples/bindgen.wasm with
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export-dynamic \
 *         -o bindgen.wasm bindgen.c */
#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(name) __attribute__((import_module("wbg"), import_name(name)))

IMPORT("__wbg_log") void host_log(const char *ptr, int len);
IMPORT("__wbindgen_throw") void host_throw(const char *ptr, int len);

extern unsigned char __heap_base;
static unsigned long heap_top;

/* A bump allocator, as the glue's __wbindgen_malloc. */
EXPORT("__wbindgen_malloc") char *wbg_malloc(unsigned long size)
{
    if (!heap_top) heap_top = (unsigned long)&__heap_base;
    char *p = (char *)heap_top;
    heap_top += (size + 7) & ~7ul;
    unsigned long pages = __builtin_wasm_memory_size(0);
    if (heap_top > pages * 65536) __builtin_wasm_memory_grow(0, (heap_top >> 16) + 1 - pages);
    return p;
}

static int copy(char *dst, const char *src, int n)
{
    for (int i = 0; i < n; i++) dst[i] = src[i];
    return n;
}

/* Logs "Hello, <name>!" and returns its length. */
EXPORT("greet") int greet(const char *name, int len)
{
    if (len == 0) {
        static const char msg[] = "greet: empty name";
        host_throw(msg, sizeof msg - 1);
    }
    char *out = wbg_malloc((unsigned long)len + 8);
    int n = copy(out, "Hello, ", 7);
    n += copy(out + n, name, len);
    out[n++] = '!';
    host_log(out, n);
    return n;
}

/* Counts the ASCII vowels of a string. */
EXPORT("count_vowels") int count_vowels(const char *s, int len)
{
    int n = 0;
    for (int i = 0; i < len; i++) {
        char c = s[i] | 0x20;
        n += c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
    }
    return n;
}

/* Divides, trapping on zero: shows a backtrace with the module's function names. */
EXPORT("average") int average(int total, int count)
{
    return total / count;
}
