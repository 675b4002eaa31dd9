/* Compiled modules: creation (decode, validate, type ids), references, the bounded-function
 * facts, attached instances and the switch of a module and its instances to new code. */
#include <stdlib.h>
#include <unistd.h>

#include "backtrace.h"
#include "compiled.h"
#include "decode.h"
#include "func.h"
#include "hotqueue.h"
#include "instance.h"
#include "instr.h"
#include "jit.h"
#include "lazy.h"
#include "validate.h"

/* Frees what the module holds (code of both tiers, instance list); the last reference is
 * gone, so no job runs. */
static void free_module(wk_module_t *mod)
{
    Jit *jit = mod->engine->jit;
    backtrace_remove_module(mod);
    CompiledCode *code = atomic_load(&mod->code);
    if (mod->lazy) {
        hotqueue_forget(mod->engine->hotq, mod);
        lazy_free(mod); /* mod->code was its own */
        code = NULL;
    }
    if (code && code != mod->fast_code) jit_code_free(jit, code);
    if (mod->fast_code) jit_code_free(jit, mod->fast_code);
    free(mod->instances);
    pthread_mutex_destroy(&mod->lock);
    pthread_cond_destroy(&mod->tierup_done);
    module_free(mod->m);
    free(mod->type_ids);
    engine_unref(mod->engine);
    free(mod);
}

static wk_error_t *intern_module_types(wk_module_t *mod)
{
    const Module *m = mod->m;
    mod->type_ids = calloc(m->ntypes ? m->ntypes : 1, sizeof *mod->type_ids);
    if (!mod->type_ids) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    for (uint32_t i = 0; i < m->ntypes; i++) {
        mod->type_ids[i] = engine_intern_type(mod->engine, &m->types[i]);
        if (mod->type_ids[i] == UINT32_MAX)
            return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    return NULL;
}

wk_error_t *compiled_new(wk_engine_t *engine, const uint8_t *bytes, size_t size,
                         wk_module_t **out)
{
    Module *m;
    wk_error_t *err = decode_module(bytes, size, &m);
    if (err) return err;
    if ((err = validate_module(m))) {
        module_free(m);
        return err;
    }
    wk_module_t *mod = calloc(1, sizeof *mod);
    if (!mod) {
        module_free(m);
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    atomic_init(&mod->refs, 1);
    pthread_mutex_init(&mod->lock, NULL);
    pthread_cond_init(&mod->tierup_done, NULL);
    engine_ref(engine);
    mod->engine = engine;
    mod->m = m;
    err = intern_module_types(mod);
    if (err) {
        free_module(mod);
        return err;
    }
    *out = mod;
    return NULL;
}

void compiled_ref(wk_module_t *mod)
{
    atomic_fetch_add(&mod->refs, 1);
}

void compiled_unref(wk_module_t *mod)
{
    if (!mod) return;
    unsigned before = atomic_fetch_sub(&mod->refs, 1);
    if (before == 1) free_module(mod);
    else if (before == 2 && atomic_load(&mod->tierup) == TIERUP_PENDING)
        atomic_store(&mod->cancel, true); /* the job's reference is the last one */
}

/* ---- bounded functions ---- */

bool compiled_func_bounded(wk_module_t *mod, uint32_t index)
{
    return !(mod->m->funcs[index].op_flags & (OPF_LOOP | OPF_CALL | OPF_BULK));
}

/* ---- instances and code switches ---- */

/* Points the defined functions of inst at `code`; the module's lock is held. */
static void repoint(wk_module_t *mod, Instance *inst, const CompiledCode *code)
{
    uint32_t base = mod->m->nimported_funcs;
    for (uint32_t i = 0; i < code->nfuncs; i++)
        __atomic_store_n(&inst->funcs[base + i]->ref.code, code->funcs[i], __ATOMIC_RELEASE);
}

bool compiled_attach(wk_module_t *mod, Instance *inst)
{
    pthread_mutex_lock(&mod->lock);
    bool ok = true;
    if (mod->ninstances == mod->instances_cap) {
        uint32_t cap = mod->instances_cap ? 2 * mod->instances_cap : 4;
        Instance **list = realloc(mod->instances, cap * sizeof *list);
        if (list) {
            mod->instances = list;
            mod->instances_cap = cap;
        }
        ok = list != NULL;
    }
    if (ok) {
        mod->instances[mod->ninstances++] = inst;
        repoint(mod, inst, atomic_load(&mod->code));
    }
    pthread_mutex_unlock(&mod->lock);
    return ok;
}

void compiled_detach(wk_module_t *mod, Instance *inst)
{
    pthread_mutex_lock(&mod->lock);
    /* From the end: stores free the newest instances first, so a store of n instances of one
     * module detaches them in O(n), not O(n^2). */
    for (uint32_t i = mod->ninstances; i-- > 0;) {
        if (mod->instances[i] == inst) {
            mod->instances[i] = mod->instances[--mod->ninstances];
            break;
        }
    }
    pthread_mutex_unlock(&mod->lock);
}

void compiled_finish_tierup(wk_module_t *mod, CompiledCode *o2)
{
    pthread_mutex_lock(&mod->lock);
    if (o2) {
        backtrace_add_code(mod, o2);
        atomic_store(&mod->code, o2);
        for (uint32_t i = 0; i < mod->ninstances; i++) repoint(mod, mod->instances[i], o2);
    }
    atomic_store(&mod->tierup, o2 ? TIERUP_DONE : TIERUP_FAILED);
    pthread_cond_broadcast(&mod->tierup_done);
    pthread_mutex_unlock(&mod->lock);
}

bool compiled_wait_optimized(wk_module_t *mod)
{
    if (mod->lazy) return lazy_wait_optimized(mod);
    pthread_mutex_lock(&mod->lock);
    while (atomic_load(&mod->tierup) == TIERUP_PENDING && mod->tierup_pid == getpid())
        pthread_cond_wait(&mod->tierup_done, &mod->lock);
    int state = atomic_load(&mod->tierup);
    pthread_mutex_unlock(&mod->lock);
    if (state == TIERUP_NONE) return mod->engine->strategy != WK_STRATEGY_FAST;
    /* still pending: a forked child, whose parent's job thread does not exist here */
    return state == TIERUP_DONE;
}
