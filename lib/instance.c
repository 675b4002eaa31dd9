/* Instances (spec 4.5.4 "instantiate"): link checks, allocation of the module's functions,
 * tables, memories and globals, constant expressions, the VMContext, exports, element and
 * data segments (applied in order; a failing one traps and stops, earlier writes stay) and
 * the start function. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiled.h"
#include "engine.h"
#include "func.h"
#include "global.h"
#include "instance.h"
#include "lazy.h"
#include "memory.h"
#include "table.h"
#include "trap.h"

/* ---- Constant expressions (spec 3.3.10; validation recorded their values) --------------- */

static WasmVal const_eval(const Instance *inst, const ConstExpr *e)
{
    const ConstValue *c = &e->value;
    WasmVal v;
    switch (c->kind) {
    case CONST_GLOBAL: return inst->globals[c->index]->vm.value;
    case CONST_FUNC:
        memset(&v, 0, sizeof v);
        v.ref = &inst->funcs[c->index]->ref;
        return v;
    default:
        memcpy(v.v128, c->bits, sizeof v.v128); /* WasmVal, like bits, is little-endian */
        return v;
    }
}

/* ---- Link checks (spec 4.5.4 step 3, "match" rules of 4.5.2) ----------------------------- */

static bool limits_match(uint64_t size, bool has_max, uint32_t max, Limits want)
{
    if (size < want.min) return false;
    if (!want.has_max) return true;
    return has_max && max <= want.max;
}

static bool import_matches(const wk_module_t *mod, const Import *im, const wk_extern_t *ext)
{
    if (ext->kind != im->kind) return false;
    switch (im->kind) {
    case WK_EXTERN_FUNC:
        return ext->of.func->ref.type_id == mod->type_ids[im->of.func_type];
    case WK_EXTERN_TABLE: {
        const wk_table_t *t = ext->of.table;
        return t->type.elem == im->of.table.elem &&
               limits_match(t->vm.size, t->type.limits.has_max, t->type.limits.max,
                            im->of.table.limits);
    }
    case WK_EXTERN_MEMORY: {
        const wk_memory_t *mem = ext->of.memory;
        return limits_match(mem->vm.pages, mem->limits.has_max, mem->limits.max,
                            im->of.memory);
    }
    default: {
        const wk_global_t *g = ext->of.global;
        return g->type.type == im->of.global.type && g->type.mut == im->of.global.mut;
    }
    }
}

static const char *valtype_name(ValType t)
{
    switch (t) {
    case WK_I32: return "i32";
    case WK_I64: return "i64";
    case WK_F32: return "f32";
    case WK_F64: return "f64";
    case WK_V128: return "v128";
    case WK_FUNCREF: return "funcref";
    default: return "externref";
    }
}

/* Appends "(i32, i64)" for n types to f. */
static void print_types(FILE *f, const ValType *types, uint32_t n)
{
    fputc('(', f);
    for (uint32_t i = 0; i < n; i++) fprintf(f, "%s%s", i ? ", " : "", valtype_name(types[i]));
    fputc(')', f);
}

/* "func (i32) -> (i32)". */
static void print_func(FILE *f, const FuncType *ft)
{
    fputs("func ", f);
    print_types(f, ft->types, ft->nparams);
    fputs(" -> ", f);
    print_types(f, ft->types + ft->nparams, ft->nresults);
}

static void print_limits(FILE *f, uint64_t min, bool has_max, uint32_t max)
{
    fprintf(f, "%llu", (unsigned long long)min);
    if (has_max) fprintf(f, "..%u", max);
}

/* The type an import asks for, as "func (i32) -> (i32)", "memory 1..2", "table 1 funcref",
 * "global mut i32". */
static void print_import(FILE *f, const wk_module_t *mod, const Import *im)
{
    switch (im->kind) {
    case WK_EXTERN_FUNC:
        print_func(f, &mod->m->types[im->of.func_type]);
        return;
    case WK_EXTERN_TABLE:
        fputs("table ", f);
        print_limits(f, im->of.table.limits.min, im->of.table.limits.has_max,
                     im->of.table.limits.max);
        fprintf(f, " %s", valtype_name(im->of.table.elem));
        return;
    case WK_EXTERN_MEMORY:
        fputs("memory ", f);
        print_limits(f, im->of.memory.min, im->of.memory.has_max, im->of.memory.max);
        return;
    default:
        fprintf(f, "global %s%s", im->of.global.mut ? "mut " : "",
                valtype_name(im->of.global.type));
    }
}

/* What an extern is, in print_import's terms (tables and memories with their current size). */
static void print_extern(FILE *f, const wk_extern_t *ext)
{
    switch (ext->kind) {
    case WK_EXTERN_FUNC:
        print_func(f, &ext->of.func->type);
        return;
    case WK_EXTERN_TABLE: {
        const wk_table_t *t = ext->of.table;
        fputs("table ", f);
        print_limits(f, t->vm.size, t->type.limits.has_max, t->type.limits.max);
        fprintf(f, " %s", valtype_name(t->type.elem));
        return;
    }
    case WK_EXTERN_MEMORY: {
        const wk_memory_t *m = ext->of.memory;
        fputs("memory ", f);
        print_limits(f, m->vm.pages, m->limits.has_max, m->limits.max);
        return;
    }
    default:
        fprintf(f, "global %s%s", ext->of.global->type.mut ? "mut " : "",
                valtype_name(ext->of.global->type.type));
    }
}

/* "incompatible import type for "env"."f": expected func (i32) -> (i32), found func () -> ()". */
static wk_error_t *incompatible(const wk_module_t *mod, const Import *im, const wk_extern_t *ext)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) return error_new(WK_ERROR_LINK, im->offset, "incompatible import type");
    fprintf(f, "incompatible import type for \"%.*s\".\"%.*s\": expected ", (int)im->module.size,
            im->module.data, (int)im->name.size, im->name.data);
    print_import(f, mod, im);
    fputs(", found ", f);
    print_extern(f, ext);
    wk_error_t *err = fclose(f) == 0 ? error_new(WK_ERROR_LINK, im->offset, "%s", buf)
                                     : error_new(WK_ERROR_LINK, im->offset,
                                                 "incompatible import type");
    free(buf);
    return err;
}

wk_error_t *instance_unknown_import(const wk_module_t *mod, const Import *im)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) return error_new(WK_ERROR_LINK, im->offset, "unknown import");
    fprintf(f, "unknown import \"%.*s\".\"%.*s\": nothing defines this ", (int)im->module.size,
            im->module.data, (int)im->name.size, im->name.data);
    print_import(f, mod, im);
    wk_error_t *err = fclose(f) == 0 ? error_new(WK_ERROR_LINK, im->offset, "%s", buf)
                                     : error_new(WK_ERROR_LINK, im->offset, "unknown import");
    free(buf);
    return err;
}

static wk_error_t *link_check(const wk_module_t *mod, const wk_extern_t *imports, size_t n)
{
    const Module *m = mod->m;
    if (n < m->nimports) {
        const Import *im = &m->imports[n];
        return error_new(WK_ERROR_LINK, im->offset,
                         "unknown import: %u imports given, the module has %u (the first "
                         "missing is \"%.*s\".\"%.*s\")",
                         (unsigned)n, m->nimports, (int)im->module.size, im->module.data,
                         (int)im->name.size, im->name.data);
    }
    for (uint32_t i = 0; i < m->nimports; i++) {
        if (!import_matches(mod, &m->imports[i], &imports[i]))
            return incompatible(mod, &m->imports[i], &imports[i]);
    }
    return NULL;
}

/* ---- Allocation -------------------------------------------------------------------------- */

static void instance_free(void *p)
{
    Instance *inst = p;
    hostinfo_release(&inst->host);
    free(inst->funcs);
    free(inst->tables);
    free(inst->memories);
    free(inst->globals);
    free(inst->vm.funcs);
    free(inst->vm.tables);
    free(inst->vm.memories);
    free(inst->vm.globals);
    free(inst->data_sizes);
    free(inst->elem_sizes);
    if (inst->elem_items) {
        for (uint32_t i = 0; i < inst->module->m->nelems; i++) free(inst->elem_items[i]);
    }
    free(inst->elem_items);
    free(inst->exports);
    compiled_unref(inst->module);
    free(inst);
}

static void instance_rebind(void *p, wk_store_t *to)
{
    Instance *inst = p;
    inst->store = to;
    inst->vm.store = &to->vm;
}

#define ALLOC(ptr, n) ((ptr) = calloc((n) ? (n) : 1, sizeof *(ptr)))

/* Allocates the instance and its arrays; store-owned from here on. */
static wk_error_t *instance_alloc(wk_store_t *store, wk_module_t *mod, Instance **out)
{
    const Module *m = mod->m;
    Instance *inst = calloc(1, sizeof *inst);
    if (!inst) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    compiled_ref(mod);
    inst->module = mod;
    inst->store = store;
    uint32_t nf = module_func_count(m), nt = module_table_count(m);
    uint32_t nm = module_memory_count(m), ng = module_global_count(m);
    bool ok = ALLOC(inst->funcs, nf) && ALLOC(inst->tables, nt) && ALLOC(inst->memories, nm) &&
              ALLOC(inst->globals, ng) && ALLOC(inst->vm.funcs, nf) &&
              ALLOC(inst->vm.tables, nt) && ALLOC(inst->vm.memories, nm) &&
              ALLOC(inst->vm.globals, ng) && ALLOC(inst->data_sizes, m->ndatas) &&
              ALLOC(inst->elem_sizes, m->nelems) && ALLOC(inst->elem_items, m->nelems) &&
              ALLOC(inst->exports, m->nexports);
    if (!store_own_rebind(store, inst, instance_free, instance_rebind) || !ok)
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    inst->vm.magic = WK_VMCTX_MAGIC;
    inst->vm.fuel = INT64_MAX; /* unlimited until wk_instance_set_fuel */
    inst->vm.store = &store->vm;
    inst->vm.type_ids = mod->type_ids;
    inst->vm.instance = inst;
    inst->vm.hot = lazy_hot_counters(mod);
    *out = inst;
    return NULL;
}

static void bind_imports(Instance *inst, const wk_extern_t *imports)
{
    const Module *m = inst->module->m;
    uint32_t f = 0, t = 0, mem = 0, g = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wk_extern_t *e = &imports[i];
        switch (e->kind) {
        case WK_EXTERN_FUNC: inst->funcs[f++] = e->of.func; break;
        case WK_EXTERN_TABLE: inst->tables[t++] = e->of.table; break;
        case WK_EXTERN_MEMORY: inst->memories[mem++] = e->of.memory; break;
        default: inst->globals[g++] = e->of.global; break;
        }
    }
}

static void instance_detach(void *p)
{
    Instance *inst = p;
    compiled_detach(inst->module, inst);
}

static wk_error_t *define_funcs(Instance *inst)
{
    const wk_module_t *mod = inst->module;
    const Module *m = mod->m;
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        uint32_t id = mod->type_ids[m->funcs[i].type];
        wk_error_t *err = func_new_wasm(inst->store, inst, i, id,
                                        &inst->funcs[m->nimported_funcs + i]);
        if (err) return err;
    }
    /* Attached now, detached by the store before it frees these functions (it frees in
     * reverse order of ownership): a tier-up re-points them only while they exist. */
    if (!compiled_attach(inst->module, inst) || !store_own(inst->store, inst, instance_detach))
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    return NULL;
}

static wk_error_t *define_tables_memories(Instance *inst)
{
    const Module *m = inst->module->m;
    wk_store_t *store = inst->store;
    for (uint32_t i = 0; i < m->ntables; i++) {
        wk_table_t **t = &inst->tables[m->nimported_tables + i];
        wk_error_t *err = table_new_capped(m->tables[i], NULL, store_table_cap(store), t);
        if (err) return err;
        (*t)->store = store;
        if (!store_own_kind(store, *t, (void (*)(void *))table_delete, STORE_TABLE))
            return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    bool guard = store->engine->mode == BOUNDS_GUARD;
    for (uint32_t i = 0; i < m->nmemories; i++) {
        wk_memory_t **mem = &inst->memories[m->nimported_memories + i];
        wk_error_t *err = memory_new_capped(m->memories[i], guard, store_memory_cap(store), mem);
        if (err) return err;
        (*mem)->store = store;
        if (!store_own_kind(store, *mem, (void (*)(void *))memory_delete, STORE_MEMORY))
            return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    return NULL;
}

static wk_error_t *define_globals(Instance *inst)
{
    const Module *m = inst->module->m;
    for (uint32_t i = 0; i < m->nglobals; i++) {
        wk_global_t **g = &inst->globals[m->nimported_globals + i];
        WasmVal v = const_eval(inst, &m->globals[i].init);
        wk_error_t *err = global_new(m->globals[i].type, v, g);
        if (err) return err;
        (*g)->store = inst->store;
        if (!store_own_kind(inst->store, *g, (void (*)(void *))global_delete, STORE_GLOBAL))
            return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    return NULL;
}

/* Evaluates every element segment into its references; sets data segment sizes. */
static wk_error_t *eval_segments(Instance *inst)
{
    const Module *m = inst->module->m;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const Elem *e = &m->elems[i];
        void **items = calloc(e->count ? e->count : 1, sizeof *items);
        if (!items) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
        for (uint32_t k = 0; k < e->count; k++)
            items[k] = e->funcs ? (void *)&inst->funcs[e->funcs[k]]->ref
                                : const_eval(inst, &e->exprs[k]).ref;
        inst->elem_items[i] = items;
        inst->elem_sizes[i] = e->count;
    }
    for (uint32_t i = 0; i < m->ndatas; i++) inst->data_sizes[i] = m->datas[i].size;
    return NULL;
}

static void build_vmctx(Instance *inst)
{
    const Module *m = inst->module->m;
    for (uint32_t i = 0; i < module_func_count(m); i++) inst->vm.funcs[i] = &inst->funcs[i]->ref;
    for (uint32_t i = 0; i < module_table_count(m); i++) inst->vm.tables[i] = &inst->tables[i]->vm;
    for (uint32_t i = 0; i < module_memory_count(m); i++)
        inst->vm.memories[i] = &inst->memories[i]->vm;
    for (uint32_t i = 0; i < module_global_count(m); i++)
        inst->vm.globals[i] = &inst->globals[i]->vm;
    if (module_memory_count(m)) {
        inst->vm.mem0 = &inst->memories[0]->vm;
        inst->vm.mem0_base = inst->vm.mem0->base;
    }
}

static void build_exports(Instance *inst)
{
    const Module *m = inst->module->m;
    inst->nexports = m->nexports;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const Export *x = &m->exports[i];
        wk_extern_t *e = &inst->exports[i];
        e->kind = x->kind;
        switch (x->kind) {
        case WK_EXTERN_FUNC: e->of.func = inst->funcs[x->index]; break;
        case WK_EXTERN_TABLE: e->of.table = inst->tables[x->index]; break;
        case WK_EXTERN_MEMORY: e->of.memory = inst->memories[x->index]; break;
        default: e->of.global = inst->globals[x->index]; break;
        }
    }
}

/* ---- Segments and start (spec 4.5.4 steps 12-16) ---------------------------------------- */

static wk_trap_t *init_elems(Instance *inst)
{
    const Module *m = inst->module->m;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const Elem *e = &m->elems[i];
        if (e->mode == SEG_ACTIVE) {
            uint32_t dst = const_eval(inst, &e->offset).i32;
            VMTable *t = &inst->tables[e->table]->vm;
            if ((uint64_t)dst + inst->elem_sizes[i] > t->size)
                return trap_new_kind(WK_TRAP_TABLE_OOB);
            if (e->count)
                memcpy(t->elems + dst, inst->elem_items[i], e->count * sizeof(void *));
        }
        if (e->mode != SEG_PASSIVE) inst->elem_sizes[i] = 0;
    }
    return NULL;
}

static wk_trap_t *init_datas(Instance *inst)
{
    const Module *m = inst->module->m;
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const Data *d = &m->datas[i];
        if (d->mode != SEG_ACTIVE) continue;
        uint32_t dst = const_eval(inst, &d->offset).i32;
        VMMemory *mem = &inst->memories[d->memory]->vm;
        if ((uint64_t)dst + d->size > mem->bytes) return trap_new_kind(WK_TRAP_MEMORY_OOB);
        if (d->size) memcpy(mem->base + dst, m->bytes + d->bytes_offset, d->size);
        inst->data_sizes[i] = 0;
    }
    return NULL;
}

/* ---- Entry points ------------------------------------------------------------------------ */

static wk_error_t *instance_build(Instance *inst, const wk_extern_t *imports)
{
    bind_imports(inst, imports);
    wk_error_t *err = define_funcs(inst);
    if (!err) err = define_tables_memories(inst);
    if (!err) err = define_globals(inst);
    if (!err) err = eval_segments(inst);
    if (err) return err;
    build_vmctx(inst);
    build_exports(inst);
    return NULL;
}

wk_error_t *instance_new(wk_store_t *store, wk_module_t *module, const wk_extern_t *imports,
                         size_t nimports, Instance **out, wk_trap_t **trap)
{
    *out = NULL;
    *trap = NULL;
    trap_ensure_handler(); /* a handler installed since the store was made goes below ours */
    wk_error_t *err = link_check(module, imports, nimports);
    Instance *inst = NULL;
    if (!err) err = instance_alloc(store, module, &inst);
    if (!err) err = instance_build(inst, imports);
    if (err) return err;
    *trap = init_elems(inst);
    if (!*trap) *trap = init_datas(inst);
    const Module *m = module->m;
    if (!*trap && m->has_start) *trap = func_call(inst->funcs[m->start], NULL, 0, NULL, 0);
    if (!*trap) *out = inst;
    return NULL;
}

bool instance_export_get(const Instance *inst, const char *name, size_t len, wk_extern_t *out)
{
    const Module *m = inst->module->m;
    for (uint32_t i = 0; i < inst->nexports; i++) {
        const Name *n = &m->exports[i].name;
        if (n->size == len && (len == 0 || memcmp(n->data, name, len) == 0)) {
            *out = inst->exports[i];
            return true;
        }
    }
    return false;
}
