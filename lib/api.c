/* Implements include/wasmkiln.h: the only file defining WK_API functions. Each checks its
 * arguments (assert for misuse) and delegates to engine, store, func, memory, table, global,
 * instance and trap. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "backtrace.h"
#include "decode.h"
#include "serialize.h"
#include "compiled.h"
#include "engine.h"
#include "func.h"
#include "global.h"
#include "instance.h"
#include "linker.h"
#include "interrupt.h"
#include "memory.h"
#include "table.h"
#include "tierup.h"
#include "trap.h"
#include "validate.h"
#include "wasi.h"
#include "wat.h"

/* ---- Stores of objects: objects of different stores never mix ---------------------------- */

/* The store an extern belongs to. */
static wk_store_t *extern_store(const wk_extern_t *e)
{
    switch (e->kind) {
    case WK_EXTERN_FUNC: return e->of.func->store;
    case WK_EXTERN_TABLE: return e->of.table->store;
    case WK_EXTERN_MEMORY: return e->of.memory->store;
    default: return e->of.global->store;
    }
}

/* False for a funcref of another store than `store` (such a function may die first). */
static bool val_in_store(const wk_val_t *v, const wk_store_t *store)
{
    return v->kind != WK_FUNCREF || !v->of.funcref || v->of.funcref->store == store;
}

static wk_error_t *other_store(const char *what)
{
    return error_new(WK_ERROR_USAGE, WK_NO_OFFSET, "%s is a function of another store", what);
}

/* ---- Values ------------------------------------------------------------------------------ */

/* Each constructor writes whole words (see val_from_raw in func.c: narrower stores stall a
 * later wider load of the value). */
wk_val_t wk_val_i32(int32_t v)
{
    return (wk_val_t){.kind = WK_I32, .of.i64 = (uint32_t)v};
}

wk_val_t wk_val_i64(int64_t v)
{
    return (wk_val_t){.kind = WK_I64, .of.i64 = v};
}

wk_val_t wk_val_f32(float v)
{
    uint32_t bits;
    memcpy(&bits, &v, 4);
    return (wk_val_t){.kind = WK_F32, .of.i64 = bits};
}

wk_val_t wk_val_f64(double v)
{
    wk_val_t r = {.kind = WK_F64};
    memcpy(&r.of.f64_bits, &v, 8);
    return r;
}

float wk_val_as_f32(const wk_val_t *v)
{
    float f;
    memcpy(&f, &v->of.f32_bits, 4);
    return f;
}

double wk_val_as_f64(const wk_val_t *v)
{
    double d;
    memcpy(&d, &v->of.f64_bits, 8);
    return d;
}

/* ---- Traps ------------------------------------------------------------------------------- */

wk_trap_t *wk_trap_new(const char *message, void *data, void (*finalizer)(void *))
{
    return trap_new_payload(message, data, finalizer);
}

void wk_trap_delete(wk_trap_t *trap)
{
    trap_delete(trap);
}

void wk_error_delete(wk_error_t *err)
{
    error_delete(err);
}

wk_error_kind_t wk_error_kind(const wk_error_t *err)
{
    assert(err);
    return error_kind(err);
}

const char *wk_error_message(const wk_error_t *err)
{
    assert(err);
    return error_message(err);
}

size_t wk_error_offset(const wk_error_t *err)
{
    assert(err);
    return error_offset(err);
}

const char *wk_error_describe(const wk_error_t *err)
{
    assert(err);
    return error_describe(err);
}

wk_trap_kind_t wk_trap_kind(const wk_trap_t *trap)
{
    return trap->kind;
}

const char *wk_trap_kind_name(wk_trap_kind_t kind)
{
    return trap_kind_name(kind);
}

const char *wk_trap_message(const wk_trap_t *trap)
{
    return trap->message;
}

size_t wk_trap_frame_count(const wk_trap_t *trap)
{
    return trap->nframes;
}

const wk_frame_t *wk_trap_frame(const wk_trap_t *trap, size_t i)
{
    assert(i < trap->nframes);
    return &trap->frames[i];
}

size_t wk_trap_frames_omitted(const wk_trap_t *trap)
{
    return trap->more_frames;
}

const char *wk_trap_describe(wk_trap_t *trap)
{
    return backtrace_describe(trap);
}

void *wk_trap_data(const wk_trap_t *trap)
{
    return trap->data;
}

void *wk_trap_take_data(wk_trap_t *trap)
{
    void *d = trap->data;
    trap->data = NULL;
    return d;
}

/* ---- Engine and modules ------------------------------------------------------------------ */

wk_engine_t *wk_engine_new(void)
{
    wk_engine_options_t opts;
    engine_options_default(&opts);
    wk_engine_t *e = NULL;
    wk_error_t *err = engine_new(&opts, &e);
    wk_error_delete(err);
    return e;
}

void wk_engine_options_default(wk_engine_options_t *opts)
{
    assert(opts);
    engine_options_default(opts);
}

void wk_engine_delete(wk_engine_t *engine)
{
    if (engine) tierup_engine_shutdown(engine);
    engine_unref(engine);
}

wk_error_t *wk_engine_new_with(const wk_engine_options_t *opts, wk_engine_t **out)
{
    assert(opts && out && opts->strategy <= WK_STRATEGY_LAZY);
    return engine_new(opts, out);
}

wk_strategy_t wk_engine_strategy(const wk_engine_t *engine)
{
    return engine->strategy;
}

const char *wk_engine_cache_dir(const wk_engine_t *engine)
{
    return engine->cache_dir;
}

bool wk_engine_software_bounds(const wk_engine_t *engine)
{
    return engine->mode == BOUNDS_SOFTWARE;
}

bool wk_engine_fuel(const wk_engine_t *engine)
{
    assert(engine);
    return engine->fuel;
}

wk_error_t *wk_wat2wasm(const char *text, size_t size, uint8_t **out, size_t *out_size)
{
    return wat_to_binary(text, size, out, out_size);
}

void wk_wasm_delete(uint8_t *bytes)
{
    free(bytes);
}

wk_error_t *wk_module_validate(const uint8_t *bytes, size_t size)
{
    Module *m;
    wk_error_t *err = decode_module(bytes, size, &m);
    if (err) return err;
    err = validate_module(m);
    module_free(m);
    return err;
}

wk_error_t *wk_module_new(wk_engine_t *engine, const uint8_t *bytes, size_t size,
                          wk_module_t **out)
{
    assert(engine && (bytes || !size) && out);
    wk_module_t *mod;
    wk_error_t *err = compiled_new(engine, bytes, size, &mod);
    if (!err && (err = tierup_compile(mod))) compiled_unref(mod);
    if (!err) *out = mod;
    return err;
}

wk_error_t *wk_module_serialize(const wk_module_t *module, uint8_t **out, size_t *size)
{
    assert(module && out && size);
    return serialize_module(module, out, size);
}

wk_error_t *wk_module_deserialize(wk_engine_t *engine, const uint8_t *bytes, size_t size,
                                  wk_module_t **out)
{
    assert(engine && (bytes || !size) && out);
    return deserialize_module(engine, bytes, size, out);
}

void wk_bytes_delete(uint8_t *bytes)
{
    free(bytes);
}

size_t wk_module_custom_sections(const wk_module_t *module, const char *name, size_t len,
                                 wk_name_t *out, size_t max)
{
    assert(module && (name || !len) && (out || !max));
    Name sec;
    size_t total = module_custom_sections(module->m, name, len, 0, &sec);
    for (size_t i = 0; i < total && i < max; i++) {
        module_custom_sections(module->m, name, len, i, &sec);
        out[i] = (wk_name_t){sec.size, sec.data};
    }
    return total;
}

wk_engine_t *wk_module_engine(const wk_module_t *module)
{
    return module->engine;
}

bool wk_module_wait_optimized(wk_module_t *module)
{
    assert(module);
    return compiled_wait_optimized(module);
}

void wk_module_delete(wk_module_t *module)
{
    compiled_unref(module);
}

static wk_functype_t functype_of(const FuncType *t)
{
    return (wk_functype_t){t->nparams, t->types, t->nresults, t->types + t->nparams};
}

static wk_limits_t limits_of(Limits l)
{
    return (wk_limits_t){l.min, l.max, l.has_max};
}

static wk_name_t name_of(Name n)
{
    return (wk_name_t){n.size, n.data};
}

/* The type of entity `index` of kind `kind` in m's index spaces. */
static wk_externtype_t externtype_of(const Module *m, uint8_t kind, uint32_t index)
{
    wk_externtype_t t = {.kind = kind};
    switch (kind) {
    case WK_EXTERN_FUNC: t.of.func = functype_of(module_func_type(m, index)); break;
    case WK_EXTERN_TABLE: {
        TableType tt = module_table_type(m, index);
        t.of.table = (wk_tabletype_t){tt.elem, limits_of(tt.limits)};
        break;
    }
    case WK_EXTERN_MEMORY: t.of.memory = limits_of(module_memory_type(m, index)); break;
    default: {
        GlobalType g = module_global_type(m, index);
        t.of.global = (wk_globaltype_t){g.type, g.mut};
        break;
    }
    }
    return t;
}

size_t wk_module_import_count(const wk_module_t *module)
{
    return module->m->nimports;
}

void wk_module_import(const wk_module_t *module, size_t i, wk_name_t *module_name,
                      wk_name_t *name, wk_externtype_t *type)
{
    const Module *m = module->m;
    assert(i < m->nimports);
    const Import *im = &m->imports[i];
    *module_name = name_of(im->module);
    *name = name_of(im->name);
    type->kind = im->kind;
    switch (im->kind) {
    case WK_EXTERN_FUNC: type->of.func = functype_of(&m->types[im->of.func_type]); break;
    case WK_EXTERN_TABLE:
        type->of.table = (wk_tabletype_t){im->of.table.elem, limits_of(im->of.table.limits)};
        break;
    case WK_EXTERN_MEMORY: type->of.memory = limits_of(im->of.memory); break;
    default: type->of.global = (wk_globaltype_t){im->of.global.type, im->of.global.mut}; break;
    }
}

size_t wk_module_export_count(const wk_module_t *module)
{
    return module->m->nexports;
}

void wk_module_export(const wk_module_t *module, size_t i, wk_name_t *name,
                      wk_externtype_t *type)
{
    const Module *m = module->m;
    assert(i < m->nexports);
    const Export *x = &m->exports[i];
    *name = name_of(x->name);
    *type = externtype_of(m, x->kind, x->index);
}

/* ---- Stores and functions ---------------------------------------------------------------- */

wk_store_t *wk_store_new(wk_engine_t *engine)
{
    assert(engine);
    return store_new(engine);
}

void wk_store_delete(wk_store_t *store)
{
    store_delete(store);
}

void wk_store_externrefs(const wk_store_t *store, void (*visit)(void *ref, void *env),
                         void *env)
{
    assert(store && visit);
    store_visit_externrefs(store, visit, env);
}

wk_error_t *wk_store_merge(wk_store_t *into, wk_store_t *from)
{
    assert(into && from);
    return store_merge(into, from);
}

void wk_store_set_limits(wk_store_t *store, const wk_store_limits_t *limits)
{
    assert(store && limits);
    store->limits = *limits;
    store->vm.stack_budget = limits->stack_bytes ? limits->stack_bytes : WK_MAX_WASM_STACK;
}

wk_store_limits_t wk_store_limits(const wk_store_t *store)
{
    assert(store);
    return store->limits;
}

void wk_store_interrupt(wk_store_t *store)
{
    assert(store);
    interrupt_request(&store->vm);
}

void wk_store_set_deadline(wk_store_t *store, uint64_t timeout_ns)
{
    assert(store);
    interrupt_set_deadline(&store->vm, timeout_ns);
}

bool wk_caller_export(const wk_caller_t *caller, const char *name, size_t len,
                      wk_extern_t *out)
{
    if (!caller || !caller->inst) return false;
    return instance_export_get(caller->inst, name, len, out);
}

wk_instance_t *wk_caller_instance(const wk_caller_t *caller)
{
    return caller ? (wk_instance_t *)caller->inst : NULL;
}

wk_func_t *wk_func_new(wk_store_t *store, const wk_functype_t *type,
                       wk_host_callback_t callback, void *env, void (*finalizer)(void *))
{
    assert(store && type && callback);
    size_t n = type->nparams + type->nresults;
    ValType *types = malloc(n ? n : 1);
    if (!types) return NULL;
    if (type->nparams) memcpy(types, type->params, type->nparams);
    if (type->nresults) memcpy(types + type->nparams, type->results, type->nresults);
    FuncType ft = {(uint32_t)type->nparams, (uint32_t)type->nresults, types};
    wk_func_t *f = NULL;
    wk_error_t *err = func_new_host(store, &ft, callback, env, finalizer, &f);
    free(types);
    if (err) {
        wk_error_delete(err);
        return NULL;
    }
    return f;
}

wk_name_t wk_func_name(const wk_func_t *func)
{
    if (!func->inst) return (wk_name_t){0, ""};
    const Module *m = func->inst->module->m;
    Name n = module_func_display_name(m, m->nimported_funcs + func->index);
    return (wk_name_t){n.size, n.size ? n.data : ""};
}

wk_functype_t wk_func_type(const wk_func_t *func)
{
    return functype_of(&func->type);
}

bool wk_func_bounded(const wk_func_t *func)
{
    return func->inst && compiled_func_bounded(func->inst->module, func->index);
}

wk_trap_t *wk_func_call(wk_func_t *func, const wk_val_t *args, size_t nargs, wk_val_t *results,
                        size_t nresults)
{
    assert(func && (args || !nargs) && (results || !nresults));
    return func_call(func, args, nargs, results, nresults);
}

wk_trap_t *wk_func_call_raw(wk_func_t *func, wk_raw_t *vals)
{
    assert(func);
    return func_call_raw(func, (WasmVal *)vals);
}

/* ---- Memories ---------------------------------------------------------------------------- */

wk_error_t *wk_memory_new(wk_store_t *store, const wk_limits_t *limits, wk_memory_t **out)
{
    assert(store && limits && out);
    if (limits->min > WK_MAX_PAGES || (limits->has_max && limits->max > WK_MAX_PAGES) ||
        (limits->has_max && limits->max < limits->min))
        return error_new(WK_ERROR_USAGE, WK_NO_OFFSET, "invalid memory limits");
    Limits l = {limits->min, limits->max, limits->has_max};
    wk_memory_t *mem;
    wk_error_t *err = memory_new_capped(l, store->engine->mode == BOUNDS_GUARD,
                                        store_memory_cap(store), &mem);
    if (err) return err;
    mem->store = store;
    if (!store_own_kind(store, mem, (void (*)(void *))memory_delete, STORE_MEMORY))
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    *out = mem;
    return NULL;
}

uint8_t *wk_memory_data(const wk_memory_t *mem)
{
    return mem->vm.base;
}

size_t wk_memory_data_size(const wk_memory_t *mem)
{
    return (size_t)mem->vm.bytes;
}

uint32_t wk_memory_size(const wk_memory_t *mem)
{
    return mem->vm.pages;
}

wk_limits_t wk_memory_type(const wk_memory_t *mem)
{
    return (wk_limits_t){mem->vm.pages, mem->limits.max, mem->limits.has_max};
}

bool wk_memory_grow(wk_memory_t *mem, uint32_t delta, uint32_t *prev_pages)
{
    uint32_t prev;
    bool ok = memory_grow(mem, delta, &prev);
    if (prev_pages) *prev_pages = prev;
    return ok;
}

/* ---- Globals ----------------------------------------------------------------------------- */

wk_error_t *wk_global_new(wk_store_t *store, const wk_globaltype_t *type, wk_val_t init,
                          wk_global_t **out)
{
    assert(store && type && out);
    if (init.kind != type->kind)
        return error_new(WK_ERROR_USAGE, WK_NO_OFFSET, "global initial value has the wrong type");
    if (!val_in_store(&init, store)) return other_store("the global's initial value");
    GlobalType gt = {type->kind, type->mutable_};
    wk_global_t *g;
    wk_error_t *err = global_new(gt, val_to_raw(&init), &g);
    if (err) return err;
    g->store = store;
    if (!store_own_kind(store, g, (void (*)(void *))global_delete, STORE_GLOBAL))
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    *out = g;
    return NULL;
}

wk_globaltype_t wk_global_type(const wk_global_t *global)
{
    return (wk_globaltype_t){global->type.type, global->type.mut};
}

wk_val_t wk_global_get(const wk_global_t *global)
{
    return val_from_raw(global->type.type, &global->vm.value);
}

wk_error_t *wk_global_set(wk_global_t *global, wk_val_t value)
{
    if (!global->type.mut) return error_new(WK_ERROR_USAGE, WK_NO_OFFSET, "global is immutable");
    if (value.kind != global->type.type)
        return error_new(WK_ERROR_USAGE, WK_NO_OFFSET, "value has the wrong type");
    if (!val_in_store(&value, global->store)) return other_store("the value");
    global->vm.value = val_to_raw(&value);
    return NULL;
}

/* ---- Tables ------------------------------------------------------------------------------ */

static void *ref_of(const wk_val_t *v)
{
    return v->kind == WK_FUNCREF ? (void *)v->of.funcref : v->of.externref;
}

wk_error_t *wk_table_new(wk_store_t *store, const wk_tabletype_t *type, wk_val_t init,
                         wk_table_t **out)
{
    assert(store && type && out);
    if (init.kind != type->elem)
        return error_new(WK_ERROR_USAGE, WK_NO_OFFSET, "table initial value has the wrong type");
    if (type->limits.has_max && type->limits.max < type->limits.min)
        return error_new(WK_ERROR_USAGE, WK_NO_OFFSET, "invalid table limits");
    if (!val_in_store(&init, store)) return other_store("the table's initial value");
    TableType tt = {type->elem, {type->limits.min, type->limits.max, type->limits.has_max}};
    wk_table_t *t;
    wk_error_t *err = table_new_capped(tt, ref_of(&init), store_table_cap(store), &t);
    if (err) return err;
    t->store = store;
    if (!store_own_kind(store, t, (void (*)(void *))table_delete, STORE_TABLE))
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    *out = t;
    return NULL;
}

wk_tabletype_t wk_table_type(const wk_table_t *table)
{
    Limits l = table->type.limits;
    return (wk_tabletype_t){table->type.elem, {table->vm.size, l.max, l.has_max}};
}

uint32_t wk_table_size(const wk_table_t *table)
{
    return table->vm.size;
}

bool wk_table_get(const wk_table_t *table, uint32_t index, wk_val_t *out)
{
    if (index >= table->vm.size) return false;
    WasmVal raw = {.ref = table->vm.elems[index]};
    *out = val_from_raw(table->type.elem, &raw);
    return true;
}

bool wk_table_set(wk_table_t *table, uint32_t index, wk_val_t value)
{
    if (index >= table->vm.size || value.kind != table->type.elem) return false;
    if (!val_in_store(&value, table->store)) return false;
    table->vm.elems[index] = ref_of(&value);
    return true;
}

bool wk_table_grow(wk_table_t *table, uint32_t delta, wk_val_t init, uint32_t *prev_size)
{
    if (init.kind != table->type.elem || !val_in_store(&init, table->store)) return false;
    uint32_t prev;
    bool ok = table_grow(table, delta, ref_of(&init), &prev);
    if (prev_size) *prev_size = prev;
    return ok;
}

/* ---- Instances --------------------------------------------------------------------------- */

wk_linker_t *wk_linker_new(void)
{
    return linker_new();
}

void wk_linker_delete(wk_linker_t *linker)
{
    linker_delete(linker);
}

wk_error_t *wk_linker_define(wk_linker_t *linker, const char *module, size_t mlen,
                             const char *name, size_t nlen, wk_extern_t ext)
{
    assert(linker && (module || !mlen) && (name || !nlen));
    return linker_define(linker, module, mlen, name, nlen, ext);
}

wk_error_t *wk_linker_define_instance(wk_linker_t *linker, const char *module, size_t mlen,
                                      const wk_instance_t *inst)
{
    assert(linker && inst);
    wk_error_t *err = NULL;
    for (size_t i = 0; !err && i < wk_instance_export_count(inst); i++) {
        wk_name_t n = wk_instance_export_name(inst, i);
        err = linker_define(linker, module, mlen, n.data, n.size, wk_instance_export(inst, i));
    }
    return err;
}

wk_error_t *wk_linker_instantiate(const wk_linker_t *linker, wk_store_t *store,
                                  const wk_module_t *module, wk_instance_t **out,
                                  wk_trap_t **trap)
{
    assert(linker && store && module && out && trap);
    size_t n = wk_module_import_count(module);
    wk_extern_t *imports = calloc(n ? n : 1, sizeof *imports);
    if (!imports) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    wk_error_t *err = linker_resolve(linker, module, imports);
    if (!err) err = wk_instance_new(store, module, imports, n, out, trap);
    free(imports);
    return err;
}

wk_error_t *wk_instance_new(wk_store_t *store, const wk_module_t *module,
                            const wk_extern_t *imports, size_t nimports, wk_instance_t **out,
                            wk_trap_t **trap)
{
    assert(store && module && (imports || !nimports) && out && trap);
    Instance *inst = NULL;
    *trap = NULL;
    if (module->engine != store->engine) {
        *out = NULL;
        return error_new(WK_ERROR_USAGE, WK_NO_OFFSET,
                         "the module and the store belong to different engines");
    }
    for (size_t i = 0; i < nimports; i++) {
        if (extern_store(&imports[i]) != store) {
            *out = NULL;
            return error_new(WK_ERROR_USAGE, WK_NO_OFFSET,
                             "import %zu belongs to another store", i);
        }
    }
    wk_error_t *err = instance_new(store, (wk_module_t *)module, imports, nimports, &inst, trap);
    *out = (wk_instance_t *)inst;
    return err;
}

size_t wk_instance_export_count(const wk_instance_t *inst)
{
    return ((const Instance *)inst)->nexports;
}

wk_name_t wk_instance_export_name(const wk_instance_t *inst, size_t i)
{
    const Instance *in = (const Instance *)inst;
    assert(i < in->nexports);
    return name_of(in->module->m->exports[i].name);
}

wk_extern_t wk_instance_export(const wk_instance_t *inst, size_t i)
{
    const Instance *in = (const Instance *)inst;
    assert(i < in->nexports);
    return in->exports[i];
}

wk_error_t *wk_instance_set_fuel(wk_instance_t *inst, uint64_t fuel)
{
    assert(inst);
    Instance *in = (Instance *)inst;
    if (!in->store->engine->fuel)
        return error_new(WK_ERROR_USAGE, WK_NO_OFFSET,
                         "the module was compiled without fuel metering (engine option fuel)");
    in->vm.fuel = fuel > INT64_MAX ? INT64_MAX : (int64_t)fuel;
    return NULL;
}

uint64_t wk_instance_fuel(const wk_instance_t *inst)
{
    assert(inst);
    const Instance *in = (const Instance *)inst;
    if (!in->store->engine->fuel) return UINT64_MAX;
    return in->vm.fuel < 0 ? 0 : (uint64_t)in->vm.fuel;
}

void wk_instance_interrupt(wk_instance_t *inst)
{
    assert(inst);
    interrupt_request(&((Instance *)inst)->store->vm);
}

bool wk_instance_export_get(const wk_instance_t *inst, const char *name, size_t len,
                            wk_extern_t *out)
{
    return instance_export_get((const Instance *)inst, name, len, out);
}

/* ---- WASI -------------------------------------------------------------------------------- */

bool wk_trap_exit_code(const wk_trap_t *trap, uint32_t *code)
{
    if (trap->kind != WK_TRAP_EXIT) return false;
    if (code) *code = trap->exit_code;
    return true;
}

wk_wasi_config_t *wk_wasi_config_new(void)
{
    return wasi_config_new();
}

void wk_wasi_config_delete(wk_wasi_config_t *config)
{
    wasi_config_free(config);
}

bool wk_wasi_config_argv(wk_wasi_config_t *config, size_t argc, const char *const *argv)
{
    assert(config && (argv || !argc));
    return wasi_config_argv(config, argc, argv);
}

bool wk_wasi_config_env(wk_wasi_config_t *config, const char *key, const char *value)
{
    assert(config && key && value);
    return wasi_config_env(config, key, value);
}

bool wk_wasi_config_preopen(wk_wasi_config_t *config, const char *host_dir,
                            const char *guest_path, bool readonly)
{
    assert(config && host_dir && guest_path);
    return wasi_config_preopen(config, host_dir, guest_path, readonly);
}

void wk_wasi_config_stdio(wk_wasi_config_t *config, int guest_fd, wk_wasi_stdio_t how,
                          int host_fd)
{
    assert(config && guest_fd >= 0 && guest_fd <= 2 && how <= WK_WASI_STDIO_CALLBACK);
    config->stdio[guest_fd] = how;
    config->stdio_fd[guest_fd] = host_fd;
}

void wk_wasi_config_output(wk_wasi_config_t *config, int guest_fd, wk_wasi_write_t write,
                           void *env)
{
    assert(config && (guest_fd == 1 || guest_fd == 2) && write);
    config->stdio[guest_fd] = WK_WASI_STDIO_CALLBACK;
    config->write[guest_fd] = write;
    config->write_env[guest_fd] = env;
}

bool wk_wasi_config_stdin_bytes(wk_wasi_config_t *config, const uint8_t *data, size_t size)
{
    assert(config && (data || !size));
    return wasi_config_stdin_bytes(config, data, size);
}

wk_error_t *wk_wasi_new(wk_store_t *store, const wk_wasi_config_t *config, wk_wasi_t **out)
{
    assert(store && config && out);
    return wasi_new(store, config, out);
}

wk_error_t *wk_wasi_imports(const wk_wasi_t *wasi, const wk_module_t *module,
                            wk_extern_t *imports)
{
    assert(wasi && module && (imports || !wk_module_import_count(module)));
    return wasi_imports(wasi, module, imports);
}

wk_trap_t *wk_wasi_run(wk_wasi_t *wasi, wk_instance_t *instance, uint32_t *exit_code)
{
    assert(wasi && instance && exit_code);
    return wasi_run(wasi, instance, exit_code);
}

const uint8_t *wk_wasi_output(const wk_wasi_t *wasi, int guest_fd, size_t *size)
{
    assert(wasi && size);
    *size = 0;
    if (guest_fd < 1 || guest_fd > 2 || wasi->cfg.stdio[guest_fd] != WK_WASI_STDIO_BUFFER)
        return NULL;
    *size = wasi->bufs[guest_fd].size;
    return wasi->bufs[guest_fd].data ? wasi->bufs[guest_fd].data : (const uint8_t *)"";
}

bool wk_wasi_exited(const wk_wasi_t *wasi, uint32_t *exit_code)
{
    assert(wasi);
    if (wasi->exited && exit_code) *exit_code = wasi->exit_code;
    return wasi->exited;
}

/* ---- Host info --------------------------------------------------------------------------- */

static HostInfo *host_info_of(const wk_extern_t *ext)
{
    switch (ext->kind) {
    case WK_EXTERN_FUNC: return &ext->of.func->host;
    case WK_EXTERN_TABLE: return &ext->of.table->host;
    case WK_EXTERN_MEMORY: return &ext->of.memory->host;
    default: return &ext->of.global->host;
    }
}

void wk_extern_set_host_info(const wk_extern_t *ext, void *info, void (*finalizer)(void *))
{
    assert(ext && ext->of.func);
    hostinfo_set(host_info_of(ext), info, finalizer);
}

void *wk_extern_host_info(const wk_extern_t *ext)
{
    assert(ext && ext->of.func);
    return host_info_of(ext)->data;
}

void wk_instance_set_host_info(wk_instance_t *inst, void *info, void (*finalizer)(void *))
{
    assert(inst);
    hostinfo_set(&((Instance *)inst)->host, info, finalizer);
}

void *wk_instance_host_info(const wk_instance_t *inst)
{
    assert(inst);
    return ((const Instance *)inst)->host.data;
}
