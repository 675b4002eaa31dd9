/* The `spectest` host module the spec suite imports from: print functions, four immutable
 * globals, a funcref table (10, max 20) and a memory (1, max 2), made through the public API. */
#include <stdlib.h>
#include <string.h>

#include "runner.h"

enum { SPECTEST_FUNCS = 7, SPECTEST_ITEMS = 13 };

struct Spectest {
    bool available;
    size_t count;
    struct {
        const char *name;
        wk_extern_t ext;
    } items[SPECTEST_ITEMS];
};

static const wk_valkind_t p_i32[] = {WK_I32}, p_i64[] = {WK_I64}, p_f32[] = {WK_F32},
                          p_f64[] = {WK_F64}, p_i32_f32[] = {WK_I32, WK_F32},
                          p_f64_f64[] = {WK_F64, WK_F64};

static const struct {
    const char *name;
    wk_functype_t type;
} funcs[SPECTEST_FUNCS] = {
    {"print", {0, NULL, 0, NULL}},
    {"print_i32", {1, p_i32, 0, NULL}},
    {"print_i64", {1, p_i64, 0, NULL}},
    {"print_f32", {1, p_f32, 0, NULL}},
    {"print_f64", {1, p_f64, 0, NULL}},
    {"print_i32_f32", {2, p_i32_f32, 0, NULL}},
    {"print_f64_f64", {2, p_f64_f64, 0, NULL}},
};

static const char *const other_names[] = {"global_i32", "global_i64", "global_f32",
                                          "global_f64", "table",      "memory"};

/* The print functions print nothing: the runner's output is its report. */
static wk_trap_t *print_callback(void *env, const wk_caller_t *caller, const wk_val_t *args,
                                 wk_val_t *results)
{
    (void)env, (void)caller, (void)args, (void)results;
    return NULL;
}

static void add(Spectest *s, const char *name, wk_externkind_t kind, void *obj)
{
    wk_extern_t *e = &s->items[s->count].ext;
    s->items[s->count++].name = name;
    e->kind = kind;
    switch (kind) {
    case WK_EXTERN_FUNC: e->of.func = obj; break;
    case WK_EXTERN_GLOBAL: e->of.global = obj; break;
    case WK_EXTERN_TABLE: e->of.table = obj; break;
    default: e->of.memory = obj; break;
    }
}

static bool add_global(Spectest *s, wk_store_t *store, const char *name, wk_val_t init)
{
    wk_globaltype_t type = {init.kind, false};
    wk_global_t *g = NULL;
    wk_error_t *err = wk_global_new(store, &type, init, &g);
    wk_error_delete(err);
    if (err) return false;
    add(s, name, WK_EXTERN_GLOBAL, g);
    return true;
}

static bool add_table_and_memory(Spectest *s, wk_store_t *store)
{
    wk_tabletype_t tt = {WK_FUNCREF, {10, 20, true}};
    wk_val_t null = {.kind = WK_FUNCREF};
    wk_table_t *table = NULL;
    wk_error_t *err = wk_table_new(store, &tt, null, &table);
    wk_error_delete(err);
    if (err) return false;
    add(s, "table", WK_EXTERN_TABLE, table);
    wk_limits_t ml = {1, 2, true};
    wk_memory_t *mem = NULL;
    err = wk_memory_new(store, &ml, &mem);
    wk_error_delete(err);
    if (err) return false;
    add(s, "memory", WK_EXTERN_MEMORY, mem);
    return true;
}

Spectest *spectest_new(wk_store_t *store)
{
    Spectest *s = calloc(1, sizeof *s);
    if (!s) abort();
    for (size_t i = 0; i < SPECTEST_FUNCS; i++) {
        wk_func_t *f = wk_func_new(store, &funcs[i].type, print_callback, NULL, NULL);
        if (!f) return s; /* the runtime cannot make host functions yet */
        add(s, funcs[i].name, WK_EXTERN_FUNC, f);
    }
    s->available = add_global(s, store, "global_i32", wk_val_i32(666)) &&
                   add_global(s, store, "global_i64", wk_val_i64(666)) &&
                   add_global(s, store, "global_f32", wk_val_f32(666.6f)) &&
                   add_global(s, store, "global_f64", wk_val_f64(666.6)) &&
                   add_table_and_memory(s, store);
    return s;
}

void spectest_delete(Spectest *s)
{
    free(s);
}

static bool name_is(wk_name_t name, const char *s)
{
    return name.size == strlen(s) && memcmp(name.data, s, name.size) == 0;
}

int spectest_lookup(const Spectest *s, wk_name_t name, wk_extern_t *out)
{
    for (size_t i = 0; i < s->count; i++) {
        if (name_is(name, s->items[i].name)) {
            if (!s->available) return LOOKUP_NO_EXECUTION;
            *out = s->items[i].ext;
            return LOOKUP_FOUND;
        }
    }
    for (size_t i = 0; i < SPECTEST_FUNCS; i++)
        if (name_is(name, funcs[i].name)) return LOOKUP_NO_EXECUTION;
    for (size_t i = 0; i < sizeof other_names / sizeof other_names[0]; i++)
        if (name_is(name, other_names[i])) return LOOKUP_NO_EXECUTION;
    return LOOKUP_MISSING;
}
