/* Trampolines (host->Wasm: arguments from a WasmVal array, results back into it) and host
 * adapters (Wasm->host: the Wasm signature around wk_rt_host_call), one of each per engine
 * type id: their IR, built here, is compiled without IR passes and loaded into the session. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "jit_llvm.h"
#include "lower.h"
#include "thunk.h"

typedef struct Thunk {
    uint32_t type_id;
    void *tramp, *adapter;
} Thunk;

struct ThunkCache {
    Jit *jit;
    pthread_mutex_t lock;   /* guards everything below and the compiles of thunks */
    LLVMTargetMachineRef tm; /* made on first use */
    Thunk *thunks;
    uint32_t nthunks, cap;
};

wk_error_t *thunk_cache_new(Jit *jit, ThunkCache **out)
{
    ThunkCache *c = calloc(1, sizeof *c);
    if (!c) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    c->jit = jit;
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return NULL;
}

void thunk_cache_delete(ThunkCache *cache)
{
    if (!cache) return;
    if (cache->tm) LLVMDisposeTargetMachine(cache->tm);
    pthread_mutex_destroy(&cache->lock);
    free(cache->thunks);
    free(cache);
}

static LLVMValueRef slot_ptr(LLVMBuilderRef b, LLVMContextRef ctx, LLVMValueRef vals, uint32_t i)
{
    LLVMValueRef off = LLVMConstInt(LLVMInt64TypeInContext(ctx), (uint64_t)i * sizeof(WasmVal), 0);
    return LLVMBuildGEP2(b, LLVMInt8TypeInContext(ctx), vals, &off, 1, "");
}

/* Stores the results of call `r` (Wasm type ft) into vals[0..nresults). */
static void store_results(LLVMBuilderRef b, LLVMContextRef ctx, const FuncType *ft,
                          LLVMValueRef r, LLVMValueRef vals)
{
    for (uint32_t i = 0; i < ft->nresults; i++) {
        LLVMValueRef v = ft->nresults == 1 ? r : LLVMBuildExtractValue(b, r, i, "");
        LLVMSetAlignment(LLVMBuildStore(b, v, slot_ptr(b, ctx, vals, i)), 8); /* WasmVal */
    }
}

/* void tramp(ptr code, ptr vmctx, ptr vals). */
static void build_trampoline(LLVMModuleRef mod, LLVMContextRef ctx, const char *name,
                             const FuncType *ft)
{
    LLVMTypeRef ptr = LLVMPointerTypeInContext(ctx, 0);
    LLVMTypeRef params[3] = {ptr, ptr, ptr};
    LLVMTypeRef ty = LLVMFunctionType(LLVMVoidTypeInContext(ctx), params, 3, 0);
    LLVMValueRef fn = LLVMAddFunction(mod, name, ty);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(ctx, fn, "entry"));
    LLVMValueRef vals = LLVMGetParam(fn, 2);
    LLVMValueRef args[ft->nparams + 1];
    args[0] = LLVMGetParam(fn, 1);
    for (uint32_t i = 0; i < ft->nparams; i++) {
        args[i + 1] = LLVMBuildLoad2(b, lower_val_type(ctx, ft->types[i]),
                                     slot_ptr(b, ctx, vals, i), "");
        LLVMSetAlignment(args[i + 1], 8); /* WasmVal arrays are only 8-aligned (v128 slots) */
    }
    LLVMTypeRef fty = lower_func_type(ctx, ft);
    LLVMValueRef r = LLVMBuildCall2(b, fty, LLVMGetParam(fn, 0), args, ft->nparams + 1, "");
    store_results(b, ctx, ft, r, vals);
    LLVMBuildRetVoid(b);
    LLVMDisposeBuilder(b);
}

/* ret adapter(ptr host_ctx, params...): params to a WasmVal array, wk_rt_host_call, results
 * back from the array. */
static void build_adapter(LLVMModuleRef mod, LLVMContextRef ctx, const char *name,
                          const FuncType *ft)
{
    LLVMValueRef fn = LLVMAddFunction(mod, name, lower_func_type(ctx, ft));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(ctx, fn, "entry"));
    uint32_t n = ft->nparams > ft->nresults ? ft->nparams : ft->nresults;
    LLVMTypeRef slot = LLVMArrayType(LLVMInt8TypeInContext(ctx), sizeof(WasmVal));
    LLVMValueRef vals = LLVMBuildArrayAlloca(
        b, slot, LLVMConstInt(LLVMInt32TypeInContext(ctx), n ? n : 1, 0), "");
    LLVMSetAlignment(vals, 16);
    for (uint32_t i = 0; i < ft->nparams; i++)
        LLVMBuildStore(b, LLVMGetParam(fn, i + 1), slot_ptr(b, ctx, vals, i));
    LLVMTypeRef hty;
    LLVMValueRef host = lower_helper_decl(mod, HELPER_host_call, &hty);
    LLVMValueRef args[2] = {LLVMGetParam(fn, 0), vals};
    LLVMBuildCall2(b, hty, host, args, 2, "");
    LLVMValueRef res[ft->nresults + 1];
    for (uint32_t i = 0; i < ft->nresults; i++)
        res[i] = LLVMBuildLoad2(b, lower_val_type(ctx, ft->types[ft->nparams + i]),
                                slot_ptr(b, ctx, vals, i), "");
    if (ft->nresults == 0) LLVMBuildRetVoid(b);
    else if (ft->nresults == 1) LLVMBuildRet(b, res[0]);
    else LLVMBuildAggregateRet(b, res, ft->nresults);
    LLVMDisposeBuilder(b);
}

/* Compiles the thunk `name` built by `build` and returns its address. Caller holds c->lock.
 * Thunks are straight-line code: no IR passes, only code generation. */
static wk_error_t *compile_thunk(ThunkCache *c, const char *name, const FuncType *ft,
                                 void (*build)(LLVMModuleRef, LLVMContextRef, const char *,
                                               const FuncType *),
                                 void **out)
{
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext(name, ctx);
    if (!c->tm) c->tm = jit_target_machine(c->jit, jit_tier(c->jit));
    jit_prepare_module(c->jit, mod, c->tm);
    build(mod, ctx, name, ft);
    LLVMMemoryBufferRef obj = NULL;
    wk_error_t *e = jit_emit_object(NULL, mod, c->tm, &obj);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    return e ? e : jit_load_thunk(c->jit, obj, name, out);
}

static Thunk *thunk_slot(ThunkCache *c, uint32_t type_id)
{
    for (uint32_t i = 0; i < c->nthunks; i++)
        if (c->thunks[i].type_id == type_id) return &c->thunks[i];
    if (c->nthunks == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->thunks = realloc(c->thunks, c->cap * sizeof *c->thunks);
        if (!c->thunks) abort();
    }
    Thunk *t = &c->thunks[c->nthunks++];
    *t = (Thunk){.type_id = type_id};
    return t;
}

static wk_error_t *get_thunk(ThunkCache *c, uint32_t type_id, const FuncType *type, bool adapter,
                             void **out)
{
    pthread_mutex_lock(&c->lock);
    Thunk *t = thunk_slot(c, type_id);
    void **slot = adapter ? &t->adapter : &t->tramp;
    wk_error_t *e = NULL;
    if (!*slot) {
        char name[48];
        snprintf(name, sizeof name, adapter ? "wk_host_t%u" : "wk_tramp_t%u", type_id);
        e = compile_thunk(c, name, type, adapter ? build_adapter : build_trampoline, slot);
    }
    if (!e) *out = *slot;
    pthread_mutex_unlock(&c->lock);
    return e;
}

wk_error_t *thunk_trampoline(ThunkCache *cache, uint32_t type_id, const FuncType *type,
                             Trampoline *out)
{
    void *p = NULL;
    wk_error_t *e = get_thunk(cache, type_id, type, false, &p);
    if (!e) *out = (Trampoline)p;
    return e;
}

wk_error_t *thunk_host_adapter(ThunkCache *cache, uint32_t type_id, const FuncType *type,
                               void **out)
{
    return get_thunk(cache, type_id, type, true, out);
}
