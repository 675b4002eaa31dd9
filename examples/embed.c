/* wasmkiln embedding example: load a .wasm file, instantiate it with host imports, call an
 * export with arguments from the command line, print the results or the trap.
 *
 *   embed FILE.wasm EXPORT [ARG...]
 *
 * Every imported function is provided by one host function that prints its arguments and
 * returns zeros; imported memories, tables and globals are created with their minimum size
 * and zero values. Example (examples/embed.wat):
 *   wat2wasm examples/embed.wat -o /tmp/embed.wasm && build/examples/embed /tmp/embed.wasm fac 10
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmkiln.h"

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    *size = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    return buf;
}

static void print_val(const wk_val_t *v)
{
    switch (v->kind) {
    case WK_I32: printf("i32:%" PRId32, v->of.i32); break;
    case WK_I64: printf("i64:%" PRId64, v->of.i64); break;
    case WK_F32: printf("f32:%g", (double)wk_val_as_f32(v)); break;
    case WK_F64: printf("f64:%g", wk_val_as_f64(v)); break;
    case WK_FUNCREF: printf("funcref:%p", (void *)v->of.funcref); break;
    case WK_EXTERNREF: printf("externref:%p", v->of.externref); break;
    default: printf("v128"); break;
    }
}

static wk_val_t zero_of(wk_valkind_t kind)
{
    wk_val_t v;
    memset(&v, 0, sizeof v);
    v.kind = kind;
    return v;
}

static wk_val_t parse_val(wk_valkind_t kind, const char *s)
{
    switch (kind) {
    case WK_I32: return wk_val_i32((int32_t)strtol(s, NULL, 0));
    case WK_I64: return wk_val_i64((int64_t)strtoll(s, NULL, 0));
    case WK_F32: return wk_val_f32(strtof(s, NULL));
    case WK_F64: return wk_val_f64(strtod(s, NULL));
    default: return zero_of(kind);
    }
}

/* What the host function knows of the import it stands for. */
typedef struct HostEnv {
    wk_name_t name;
    size_t nparams;
} HostEnv;

/* The host function behind every imported function (env: its HostEnv). A call with the i32
 * argument -1 traps, to show host traps. */
static wk_trap_t *host_print(void *env, const wk_caller_t *caller, const wk_val_t *args,
                             wk_val_t *results)
{
    (void)caller;
    const HostEnv *he = env;
    printf("host %.*s(", (int)he->name.size, he->name.data);
    for (size_t i = 0; i < he->nparams; i++) {
        if (i) printf(", ");
        print_val(&args[i]);
        if (args[i].kind == WK_I32 && args[i].of.i32 == -1) {
            printf(")\n");
            return wk_trap_new("host function refused -1", NULL, NULL);
        }
    }
    printf(")\n");
    (void)results; /* results arrive with their kinds set and zero values are wanted */
    return NULL;
}

/* One extern for import i: a host function or a fresh memory/table/global. */
static bool make_import(wk_store_t *store, const wk_module_t *mod, size_t i, wk_extern_t *out)
{
    wk_name_t modname, name;
    wk_externtype_t type;
    wk_module_import(mod, i, &modname, &name, &type);
    out->kind = type.kind;
    wk_error_t *err = NULL;
    switch (type.kind) {
    case WK_EXTERN_FUNC: {
        HostEnv *env = malloc(sizeof *env);
        if (!env) return false;
        *env = (HostEnv){name, type.of.func.nparams};
        out->of.func = wk_func_new(store, &type.of.func, host_print, env, free);
        return out->of.func != NULL;
    }
    case WK_EXTERN_MEMORY: err = wk_memory_new(store, &type.of.memory, &out->of.memory); break;
    case WK_EXTERN_TABLE:
        err = wk_table_new(store, &type.of.table, zero_of(type.of.table.elem), &out->of.table);
        break;
    default:
        err = wk_global_new(store, &type.of.global, zero_of(type.of.global.kind),
                            &out->of.global);
        break;
    }
    if (err) fprintf(stderr, "import %zu: %s\n", i, wk_error_describe(err));
    wk_error_delete(err);
    return err == NULL;
}

/* Calls export `name` with argv-given args and prints the outcome. Returns the exit code. */
static int call_export(wk_instance_t *inst, const char *name, int argc, char **argv)
{
    wk_extern_t ext;
    if (!wk_instance_export_get(inst, name, strlen(name), &ext) || ext.kind != WK_EXTERN_FUNC) {
        fprintf(stderr, "no exported function %s\n", name);
        return 1;
    }
    wk_functype_t ft = wk_func_type(ext.of.func);
    if ((size_t)argc != ft.nparams) {
        fprintf(stderr, "%s takes %zu arguments\n", name, ft.nparams);
        return 1;
    }
    wk_val_t args[16], results[16];
    if (ft.nparams > 16 || ft.nresults > 16) return 1;
    for (size_t i = 0; i < ft.nparams; i++) args[i] = parse_val(ft.params[i], argv[i]);
    wk_trap_t *trap = wk_func_call(ext.of.func, args, ft.nparams, results, ft.nresults);
    if (trap) {
        printf("trap: %s\n", wk_trap_message(trap));
        wk_trap_delete(trap);
        return 3;
    }
    for (size_t i = 0; i < ft.nresults; i++) {
        print_val(&results[i]);
        printf("\n");
    }
    return 0;
}

static int run(wk_engine_t *engine, const uint8_t *bytes, size_t size, int argc, char **argv)
{
    wk_module_t *mod;
    wk_error_t *err = wk_module_new(engine, bytes, size, &mod);
    if (err) {
        fprintf(stderr, "cannot load: %s\n", wk_error_describe(err));
        wk_error_delete(err);
        return 1;
    }
    wk_store_t *store = wk_store_new(engine);
    size_t n = wk_module_import_count(mod);
    wk_extern_t *imports = calloc(n ? n : 1, sizeof *imports);
    int rc = 1;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) ok = make_import(store, mod, i, &imports[i]);
    wk_instance_t *inst = NULL;
    wk_trap_t *trap = NULL;
    if (ok) err = wk_instance_new(store, mod, imports, n, &inst, &trap);
    if (err) fprintf(stderr, "cannot instantiate: %s\n", wk_error_describe(err));
    if (trap) printf("trap during instantiation: %s\n", wk_trap_message(trap));
    if (inst) rc = call_export(inst, argv[0], argc - 1, argv + 1);
    wk_error_delete(err);
    wk_trap_delete(trap);
    free(imports);
    wk_store_delete(store);
    wk_module_delete(mod);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s FILE.wasm EXPORT [ARG...]\n", argv[0]);
        return 2;
    }
    size_t size;
    uint8_t *bytes = read_file(argv[1], &size);
    if (!bytes) {
        perror(argv[1]);
        return 1;
    }
    wk_engine_t *engine = wk_engine_new();
    if (!engine) {
        fprintf(stderr, "cannot create the engine\n");
        free(bytes);
        return 1;
    }
    int rc = run(engine, bytes, size, argc - 2, argv + 2);
    free(bytes);
    wk_engine_delete(engine);
    return rc;
}
