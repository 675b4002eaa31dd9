/* wkrun: the command-line runner in C (no Python needed), same interface as
 * `python3 -m wasmkiln`:
 *   wkrun run [--dir HOST[::GUEST]]... [--env KEY[=VALUE]]... [--invoke NAME] FILE.wasm [ARGS...]
 *   wkrun validate FILE.wasm
 *   wkrun inspect FILE.wasm
 * `run` may be left out. Exit status: the guest's exit code; 1 for a module that cannot be
 * loaded; 2 for bad usage; 134 when the guest traps (as wasmtime). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmkiln.h"

enum { EXIT_TRAP = 134 };

static const char USAGE[] =
    "usage: wkrun run [--dir HOST[::GUEST]]... [--env KEY[=VALUE]]... [--invoke NAME]\n"
    "                 FILE.wasm [ARGS...]\n"
    "       wkrun validate FILE.wasm\n"
    "       wkrun inspect FILE.wasm\n";

/* The whole file (owned) or NULL with a message printed. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "wkrun: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            uint8_t *b = realloc(buf, cap *= 2);
            if (!b) free(buf);
            buf = b;
        }
    }
    fclose(f);
    if (!buf) fprintf(stderr, "wkrun: out of memory reading %s\n", path);
    *size = n;
    return buf;
}

/* Prints err (consumed) about path and returns 1. */
static int fail(const char *path, wk_error_t *err)
{
    fprintf(stderr, "wkrun: %s: %s\n", path, wk_error_describe(err));
    wk_error_delete(err);
    return 1;
}

static int cmd_validate(const char *path)
{
    size_t n;
    uint8_t *bytes = read_file(path, &n);
    if (!bytes) return 1;
    wk_error_t *err = wk_module_validate(bytes, n);
    free(bytes);
    if (err) return fail(path, err);
    printf("%s: valid\n", path);
    return 0;
}

static const char *kind_name(wk_valkind_t k)
{
    switch (k) {
    case WK_I32: return "i32";
    case WK_I64: return "i64";
    case WK_F32: return "f32";
    case WK_F64: return "f64";
    case WK_V128: return "v128";
    case WK_FUNCREF: return "funcref";
    default: return "externref";
    }
}

static void print_type(const wk_externtype_t *t)
{
    static const char *names[] = {"func", "table", "memory", "global"};
    printf("%s", names[t->kind]);
    if (t->kind == WK_EXTERN_FUNC) {
        printf(" (");
        for (size_t i = 0; i < t->of.func.nparams; i++)
            printf("%s%s", i ? " " : "", kind_name(t->of.func.params[i]));
        printf(") -> (");
        for (size_t i = 0; i < t->of.func.nresults; i++)
            printf("%s%s", i ? " " : "", kind_name(t->of.func.results[i]));
        printf(")");
    } else if (t->kind == WK_EXTERN_MEMORY || t->kind == WK_EXTERN_TABLE) {
        wk_limits_t l = t->kind == WK_EXTERN_MEMORY ? t->of.memory : t->of.table.limits;
        printf(" min %" PRIu32, l.min);
        if (l.has_max) printf(" max %" PRIu32, l.max);
    } else if (t->kind == WK_EXTERN_GLOBAL) {
        printf(" %s%s", t->of.global.mutable_ ? "mut " : "", kind_name(t->of.global.kind));
    }
    printf("\n");
}

static int cmd_inspect(const char *path)
{
    size_t n;
    uint8_t *bytes = read_file(path, &n);
    if (!bytes) return 1;
    wk_engine_t *engine = wk_engine_new();
    wk_module_t *m = NULL;
    wk_error_t *err = engine ? wk_module_new(engine, bytes, n, &m) : NULL;
    free(bytes);
    if (err) {
        wk_engine_delete(engine);
        return fail(path, err);
    }
    printf("%s: %zu bytes, %zu imports, %zu exports\n", path, n, wk_module_import_count(m),
           wk_module_export_count(m));
    for (size_t i = 0; i < wk_module_import_count(m); i++) {
        wk_name_t mn, nn;
        wk_externtype_t t;
        wk_module_import(m, i, &mn, &nn, &t);
        printf("import %.*s.%.*s: ", (int)mn.size, mn.data, (int)nn.size, nn.data);
        print_type(&t);
    }
    for (size_t i = 0; i < wk_module_export_count(m); i++) {
        wk_name_t nn;
        wk_externtype_t t;
        wk_module_export(m, i, &nn, &t);
        printf("export %.*s: ", (int)nn.size, nn.data);
        print_type(&t);
    }
    wk_module_delete(m);
    wk_engine_delete(engine);
    return 0;
}

typedef struct RunArgs {
    wk_wasi_config_t *cfg;
    const char *invoke;
    const char *path;
    int nargs;
    char **args; /* guest arguments after the file */
} RunArgs;

/* Parses run's options into r; returns 0 or 2 (usage). */
static int parse_run(int argc, char **argv, RunArgs *r)
{
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "--")) {
            i++;
            break;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "wkrun: %s needs a value\n%s", opt, USAGE);
            return 2;
        }
        char *val = argv[++i];
        if (!strcmp(opt, "--dir")) {
            char *sep = strstr(val, "::");
            if (sep) *sep = 0;
            wk_wasi_config_preopen(r->cfg, val, sep ? sep + 2 : val, false);
        } else if (!strcmp(opt, "--env")) {
            char *eq = strchr(val, '=');
            if (eq) *eq = 0;
            const char *v = eq ? eq + 1 : getenv(val);
            if (v) wk_wasi_config_env(r->cfg, val, v);
        } else if (!strcmp(opt, "--invoke")) {
            r->invoke = val;
        } else {
            fprintf(stderr, "wkrun: unknown option %s\n%s", opt, USAGE);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "%s", USAGE);
        return 2;
    }
    r->path = argv[i];
    r->args = argv + i + 1;
    r->nargs = argc - i - 1;
    return 0;
}

/* Parses text as a value of kind k; false when it is not one. */
static bool parse_value(const char *text, wk_valkind_t k, wk_val_t *out)
{
    char *end;
    errno = 0;
    switch (k) {
    case WK_I32: *out = wk_val_i32((int32_t)strtoll(text, &end, 0)); break;
    case WK_I64: *out = wk_val_i64((int64_t)strtoull(text, &end, 0)); break;
    case WK_F32: *out = wk_val_f32(strtof(text, &end)); break;
    case WK_F64: *out = wk_val_f64(strtod(text, &end)); break;
    default: return false;
    }
    return *text && !*end && !errno;
}

static void print_value(const wk_val_t *v)
{
    switch (v->kind) {
    case WK_I32: printf("%" PRId32 "\n", v->of.i32); break;
    case WK_I64: printf("%" PRId64 "\n", v->of.i64); break;
    case WK_F32: printf("%.9g\n", (double)wk_val_as_f32(v)); break;
    case WK_F64: printf("%.17g\n", wk_val_as_f64(v)); break;
    default: printf("<%s>\n", kind_name(v->kind)); break;
    }
}

/* Calls export r->invoke with r->args parsed by its parameter types; prints the results. */
static wk_trap_t *invoke(wk_instance_t *inst, const RunArgs *r, int *status)
{
    wk_extern_t e;
    *status = 0;
    if (wk_instance_export_get(inst, "_initialize", 11, &e) && e.kind == WK_EXTERN_FUNC) {
        wk_trap_t *t = wk_func_call(e.of.func, NULL, 0, NULL, 0);
        if (t) return t;
    }
    if (!wk_instance_export_get(inst, r->invoke, strlen(r->invoke), &e) ||
        e.kind != WK_EXTERN_FUNC) {
        fprintf(stderr, "wkrun: %s exports no function '%s'\n", r->path, r->invoke);
        *status = 1;
        return NULL;
    }
    wk_functype_t t = wk_func_type(e.of.func);
    if ((size_t)r->nargs != t.nparams) {
        fprintf(stderr, "wkrun: '%s' takes %zu arguments, %d given\n", r->invoke, t.nparams,
                r->nargs);
        *status = 2;
        return NULL;
    }
    wk_val_t args[64], results[64];
    if (t.nparams > 64 || t.nresults > 64) {
        fprintf(stderr, "wkrun: '%s' has too many parameters or results\n", r->invoke);
        *status = 2;
        return NULL;
    }
    for (size_t i = 0; i < t.nparams; i++) {
        if (!parse_value(r->args[i], t.params[i], &args[i])) {
            fprintf(stderr, "wkrun: argument %zu: '%s' is not a %s\n", i, r->args[i],
                    kind_name(t.params[i]));
            *status = 2;
            return NULL;
        }
    }
    wk_trap_t *trap = wk_func_call(e.of.func, args, t.nparams, results, t.nresults);
    for (size_t i = 0; !trap && i < t.nresults; i++) print_value(&results[i]);
    return trap;
}

/* Instantiates with WASI and runs _start or the invoked export; the process exit status. */
static int run_module(wk_engine_t *engine, wk_module_t *m, RunArgs *r)
{
    wk_store_t *store = wk_store_new(engine);
    wk_wasi_t *wasi = NULL;
    wk_error_t *err = store ? wk_wasi_new(store, r->cfg, &wasi) : NULL;
    size_t n = wk_module_import_count(m);
    wk_extern_t *imports = calloc(n ? n : 1, sizeof *imports);
    if (!err) err = wk_wasi_imports(wasi, m, imports);
    for (size_t i = 0; !err && i < n; i++) {
        wk_name_t mn, nn;
        wk_externtype_t t;
        wk_module_import(m, i, &mn, &nn, &t);
        if (!imports[i].of.func && !imports[i].of.memory) {
            fprintf(stderr, "wkrun: %s: unknown import %.*s.%.*s\n", r->path, (int)mn.size,
                    mn.data, (int)nn.size, nn.data);
            free(imports);
            wk_store_delete(store);
            return 1;
        }
    }
    wk_instance_t *inst = NULL;
    wk_trap_t *trap = NULL;
    if (!err) err = wk_instance_new(store, m, imports, n, &inst, &trap);
    free(imports);
    int status = 0;
    if (err) status = fail(r->path, err);
    uint32_t code = 0;
    if (!err && !trap)
        trap = r->invoke ? invoke(inst, r, &status) : wk_wasi_run(wasi, inst, &code);
    if (!err && !trap && !r->invoke) status = (int)code;
    if (trap && wk_trap_exit_code(trap, &code)) {
        status = (int)code;
    } else if (trap) {
        fprintf(stderr, "Error: wasm trap: %s\n", wk_trap_message(trap));
        status = EXIT_TRAP;
    }
    wk_trap_delete(trap);
    fflush(stdout);
    wk_store_delete(store);
    return status;
}

static int cmd_run(int argc, char **argv)
{
    RunArgs r = {.cfg = wk_wasi_config_new()};
    int status = parse_run(argc, argv, &r);
    if (status) {
        wk_wasi_config_delete(r.cfg);
        return status;
    }
    const char **gargv = malloc(((size_t)r.nargs + 1) * sizeof *gargv);
    gargv[0] = r.path;
    for (int i = 0; i < r.nargs; i++) gargv[i + 1] = r.args[i];
    wk_wasi_config_argv(r.cfg, (size_t)r.nargs + 1, gargv);
    free(gargv);
    size_t n;
    uint8_t *bytes = read_file(r.path, &n);
    wk_engine_t *engine = bytes ? wk_engine_new() : NULL;
    wk_module_t *m = NULL;
    wk_error_t *err = engine ? wk_module_new(engine, bytes, n, &m) : NULL;
    free(bytes);
    if (!engine) status = 1;
    else if (err) status = fail(r.path, err);
    else status = run_module(engine, m, &r);
    wk_module_delete(m);
    wk_engine_delete(engine);
    wk_wasi_config_delete(r.cfg);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fprintf(argc < 2 ? stderr : stdout, "%s", USAGE);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "validate") || !strcmp(argv[1], "inspect")) {
        if (argc != 3) {
            fprintf(stderr, "%s", USAGE);
            return 2;
        }
        return argv[1][0] == 'v' ? cmd_validate(argv[2]) : cmd_inspect(argv[2]);
    }
    if (!strcmp(argv[1], "run")) return cmd_run(argc - 2, argv + 2);
    return cmd_run(argc - 1, argv + 1);
}
