/* The LLJIT session of an engine: LLVM initialisation, the host target, runtime helpers bound
 * as absolute symbols, code generation of LLVM modules to objects, and loading objects under
 * per-module symbol nonces, loaded code shared by identical modules (refcounted) until the
 * last handle is freed. LLVM errors become wk_error_t. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Object.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "forkgate.h"
#include "jit_llvm.h"
#include "lower.h"

/* Loaded code, shared by every CompiledCode of the same module bytes in this Jit. */
typedef struct CodePriv {
    LLVMOrcResourceTrackerRef rt;
    uint64_t nonce;
    uint8_t key[CODECACHE_KEY_SIZE];
    uint32_t refs; /* handles (CompiledCode) using it; guarded by jit->lock */
    uint32_t nfuncs;
    void **funcs;
    uint32_t *sizes; /* machine-code bytes of each function, or NULL */
    struct CodePriv *next; /* in jit->loaded */
} CodePriv;

struct Jit {
    LLVMOrcLLJITRef lljit;
    BoundsMode mode;
    JitTier tier; /* compile_module's tier */
    bool verify_ir;
    bool fuel;    /* fuel metering compiled in */
    char *triple, *cpu, *features;
    LLVMTargetRef target;
    atomic_ullong next_nonce;
    char *cache_dir;  /* WK_CACHE_DIR: the object cache, or NULL */
    uint64_t cache_max_bytes;
    pthread_mutex_t lock; /* guards live, loaded */
    uint64_t *live;   /* symbol nonces of the compiled modules now loaded */
    CodePriv *loaded; /* loaded code by key, shared by identical modules */
    uint32_t nlive, live_cap;
};

static pthread_once_t llvm_once = PTHREAD_ONCE_INIT;

static void llvm_init(void)
{
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    LLVMInitializeNativeAsmParser();
}

void jit_llvm_init(void)
{
    pthread_once(&llvm_once, llvm_init);
}

wk_error_t *jit_llvm_error(LLVMErrorRef err, const char *what)
{
    char *msg = LLVMGetErrorMessage(err);
    wk_error_t *e = error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "LLVM %s: %s", what, msg);
    LLVMDisposeErrorMessage(msg);
    return e;
}

/* The fast tier generates code at CodeGenLevelNone (FastISel); O2 at the default level. */
LLVMTargetMachineRef jit_target_machine(const Jit *jit, JitTier tier)
{
    LLVMCodeGenOptLevel level = tier == JIT_TIER_FAST ? LLVMCodeGenLevelNone
                                                      : LLVMCodeGenLevelDefault;
    return LLVMCreateTargetMachine(jit->target, jit->triple, jit->cpu, jit->features, level,
                                   LLVMRelocPIC, LLVMCodeModelSmall);
}

/* Per-thread target machines, one per code generation level, made on first use and freed
 * when the thread exits: creating one (its subtarget, legalizer tables and asm info) cost
 * more than compiling a small function, and every Jit of the process targets the host the
 * same way. A thread uses its own only, so no lock is needed. */
enum { TM_LEVELS = 2 };
static pthread_key_t tm_key;
static pthread_once_t tm_once = PTHREAD_ONCE_INIT;

static void tm_free(void *p)
{
    LLVMTargetMachineRef *tms = p;
    for (int i = 0; i < TM_LEVELS; i++)
        if (tms[i]) LLVMDisposeTargetMachine(tms[i]);
    free(tms);
}

static void tm_key_init(void)
{
    pthread_key_create(&tm_key, tm_free);
}

LLVMTargetMachineRef jit_thread_target_machine(const Jit *jit, JitTier tier)
{
    pthread_once(&tm_once, tm_key_init);
    LLVMTargetMachineRef *tms = pthread_getspecific(tm_key);
    if (!tms) {
        tms = calloc(TM_LEVELS, sizeof *tms);
        if (!tms) abort();
        pthread_setspecific(tm_key, tms);
    }
    int i = tier == JIT_TIER_FAST ? 0 : 1;
    if (!tms[i]) tms[i] = jit_target_machine(jit, tier);
    return tms[i];
}

/* ---- symbols ---- */

static int process_symbol_filter(void *ctx, LLVMOrcSymbolStringPoolEntryRef sym)
{
    (void)ctx;
    static const char *allowed[] = {
        "memcpy", "memmove", "memset", "floor", "floorf", "ceil", "ceilf", "trunc", "truncf",
        "rint", "rintf", "nearbyint", "nearbyintf", "roundeven", "roundevenf", "sqrt", "sqrtf",
        "fmin", "fminf", "fmax", "fmaxf", "fmod", "fmodf",
    };
    const char *name = LLVMOrcSymbolStringPoolEntryStr(sym);
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (strcmp(name, allowed[i]) == 0) return 1;
    return 0;
}

#define WK_RT_ADDR(name, ...) {WK_RT_SYMBOL_NAME(name), (uint64_t)(uintptr_t)&WK_RT_SYMBOL(name)},

static wk_error_t *define_helpers(Jit *jit)
{
    static const struct {
        const char *name;
        uint64_t addr;
    } helpers[] = {WK_RT_HELPERS(WK_RT_ADDR)};
    enum { N = sizeof helpers / sizeof helpers[0] };
    LLVMOrcCSymbolMapPair pairs[N];
    for (size_t i = 0; i < N; i++) {
        pairs[i].Name = LLVMOrcLLJITMangleAndIntern(jit->lljit, helpers[i].name);
        pairs[i].Sym.Address = helpers[i].addr;
        pairs[i].Sym.Flags.GenericFlags =
            LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
        pairs[i].Sym.Flags.TargetFlags = 0;
    }
    LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(jit->lljit);
    LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(pairs, N);
    LLVMErrorRef err = LLVMOrcJITDylibDefine(jd, mu);
    if (err) {
        LLVMOrcDisposeMaterializationUnit(mu);
        return jit_llvm_error(err, "defining runtime helpers");
    }
    LLVMOrcDefinitionGeneratorRef gen;
    err = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
        &gen, LLVMOrcLLJITGetGlobalPrefix(jit->lljit), process_symbol_filter, NULL);
    if (err) return jit_llvm_error(err, "process symbols");
    LLVMOrcJITDylibAddGenerator(jd, gen);
    return NULL;
}

static wk_error_t *init_target(Jit *jit)
{
    jit->triple = LLVMGetDefaultTargetTriple();
    jit->cpu = LLVMGetHostCPUName();
    jit->features = LLVMGetHostCPUFeatures();
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(jit->triple, &jit->target, &msg)) {
        wk_error_t *e = error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "LLVM target: %s", msg);
        LLVMDisposeMessage(msg);
        return e;
    }
    return NULL;
}

/* ---- the session ---- */

static wk_error_t *new_session(BoundsMode mode, const JitOptions *opts, Jit **out)
{
    jit_llvm_init();
    Jit *jit = calloc(1, sizeof *jit);
    if (!jit) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    jit->mode = mode;
    if (opts->cache_dir && opts->cache_dir[0]) jit->cache_dir = strdup(opts->cache_dir);
    jit->cache_max_bytes = opts->cache_max_bytes;
    atomic_init(&jit->next_nonce, (uint64_t)(uintptr_t)jit ^ ((uint64_t)time(NULL) << 32));
    jit->tier = opts->tier;
    jit->verify_ir = opts->verify_ir;
    jit->fuel = opts->fuel;
    pthread_mutex_init(&jit->lock, NULL);
    wk_error_t *e = init_target(jit);
    if (e) goto fail;
    LLVMErrorRef err = LLVMOrcCreateLLJIT(&jit->lljit, LLVMOrcCreateLLJITBuilder());
    if (err) {
        e = jit_llvm_error(err, "creating LLJIT");
        goto fail;
    }
    e = define_helpers(jit);
    if (e) goto fail;
    *out = jit;
    return NULL;
fail:
    jit_delete(jit);
    return e;
}

/* Only the forking thread exists in a child: deleting inherited state is safe there. */
static void delete_session(Jit *jit)
{
    if (jit->lljit) {
        LLVMErrorRef err = LLVMOrcDisposeLLJIT(jit->lljit);
        if (err) LLVMConsumeError(err);
    }
    LLVMDisposeMessage(jit->triple);
    LLVMDisposeMessage(jit->cpu);
    LLVMDisposeMessage(jit->features);
    pthread_mutex_destroy(&jit->lock);
    while (jit->loaded) { /* code the runtime did not free: its memory went with the LLJIT */
        CodePriv *p = jit->loaded;
        jit->loaded = p->next;
        free(p->funcs);
        free(p);
    }
    free(jit->live);
    free(jit->cache_dir);
    free(jit);
}

wk_error_t *jit_new(BoundsMode mode, const JitOptions *opts, Jit **out)
{
    forkgate_enter();
    wk_error_t *e = new_session(mode, opts, out);
    forkgate_leave();
    return e;
}

void jit_delete(Jit *jit)
{
    if (!jit) return;
    forkgate_enter();
    delete_session(jit);
    forkgate_leave();
}

JitTier jit_tier(const Jit *jit)
{
    return jit->tier;
}

bool jit_fuel(const Jit *jit)
{
    return jit->fuel;
}

BoundsMode jit_mode(const Jit *jit)
{
    return jit->mode;
}

uint64_t jit_cache_max_bytes(const Jit *jit)
{
    return jit->cache_max_bytes;
}

const char *jit_cache_dir(const Jit *jit)
{
    return jit->cache_dir;
}

size_t jit_describe_target(const Jit *jit, char *buf, size_t size)
{
    unsigned major, minor, patch;
    LLVMGetVersion(&major, &minor, &patch);
    int n = snprintf(buf, size, "llvm %u.%u.%u|%s|%s|%s", major, minor, patch, jit->triple,
                     jit->cpu, jit->features);
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* ---- code generation ---- */

void jit_prepare_module(const Jit *jit, LLVMModuleRef mod, LLVMTargetMachineRef tm)
{
    LLVMSetTarget(mod, jit->triple);
    LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(mod, dl);
    LLVMDisposeTargetData(dl);
}

/* Debugging aid (JitOptions.verify_ir): the module is verified before optimisation. */
static wk_error_t *verify(LLVMModuleRef mod)
{
    char *msg = NULL;
    if (!LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
        LLVMDisposeMessage(msg);
        return NULL;
    }
    wk_error_t *e = error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "invalid IR: %s", msg);
    LLVMDisposeMessage(msg);
    return e;
}

/* Keeps the frame pointer and every call's own frame (no sibling calls) in every function of
 * mod: traps walk the frame-pointer chain (lib/trap.c) to record their Wasm frames. */
static void keep_frame_pointers(LLVMModuleRef mod)
{
    LLVMContextRef ctx = LLVMGetModuleContext(mod);
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
        if (LLVMIsDeclaration(fn)) continue;
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                LLVMCreateStringAttribute(ctx, "frame-pointer", 13, "all", 3));
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                LLVMCreateStringAttribute(ctx, "disable-tail-calls", 18, "true",
                                                          4));
    }
}

wk_error_t *jit_emit_object(const Jit *jit, const char *passes, LLVMModuleRef mod,
                            LLVMTargetMachineRef tm, LLVMMemoryBufferRef *obj)
{
    wk_error_t *e = jit->verify_ir ? verify(mod) : NULL;
    if (e) return e;
    keep_frame_pointers(mod);
    if (passes) {
        LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
        LLVMErrorRef err = LLVMRunPasses(mod, passes, tm, opts);
        LLVMDisposePassBuilderOptions(opts);
        if (err) return jit_llvm_error(err, "optimising");
    }
    char *msg = NULL;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &msg, obj)) {
        e = error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "LLVM codegen: %s", msg);
        LLVMDisposeMessage(msg);
        return e;
    }
    return NULL;
}

/* ---- symbol nonces ---- */

bool jit_claim_nonce(Jit *jit, uint64_t nonce)
{
    pthread_mutex_lock(&jit->lock);
    bool free_ = true;
    for (uint32_t i = 0; i < jit->nlive && free_; i++) free_ = jit->live[i] != nonce;
    if (free_ && jit->nlive == jit->live_cap) {
        jit->live_cap = jit->live_cap ? 2 * jit->live_cap : 16;
        jit->live = realloc(jit->live, jit->live_cap * sizeof *jit->live);
        if (!jit->live) abort();
    }
    if (free_) jit->live[jit->nlive++] = nonce;
    pthread_mutex_unlock(&jit->lock);
    return free_;
}

void jit_release_nonce(Jit *jit, uint64_t nonce)
{
    pthread_mutex_lock(&jit->lock);
    for (uint32_t i = 0; i < jit->nlive; i++)
        if (jit->live[i] == nonce) jit->live[i] = jit->live[--jit->nlive];
    pthread_mutex_unlock(&jit->lock);
}

uint64_t jit_fresh_nonce(Jit *jit)
{
    for (;;) {
        uint64_t n = atomic_fetch_add(&jit->next_nonce, 0x9E3779B97F4A7C15ull);
        if (jit_claim_nonce(jit, n)) return n;
    }
}

/* ---- loaded code ---- */

static CompiledCode *new_handle(CodePriv *priv)
{
    CompiledCode *code = calloc(1, sizeof *code);
    void **funcs = calloc(priv->nfuncs ? priv->nfuncs : 1, sizeof *funcs);
    if (!code || !funcs) abort();
    if (priv->nfuncs) memcpy(funcs, priv->funcs, priv->nfuncs * sizeof *funcs);
    *code = (CompiledCode){.nfuncs = priv->nfuncs, .funcs = funcs, .sizes = priv->sizes,
                           .priv = priv};
    return code;
}

CompiledCode *jit_share_loaded(Jit *jit, const uint8_t key[CODECACHE_KEY_SIZE])
{
    pthread_mutex_lock(&jit->lock);
    CodePriv *p = jit->loaded;
    while (p && memcmp(p->key, key, CODECACHE_KEY_SIZE) != 0) p = p->next;
    if (p) p->refs++;
    pthread_mutex_unlock(&jit->lock);
    return p ? new_handle(p) : NULL;
}

static void unload(Jit *jit, CodePriv *priv)
{
    LLVMErrorRef err = LLVMOrcResourceTrackerRemove(priv->rt);
    if (err) LLVMConsumeError(err);
    LLVMOrcReleaseResourceTracker(priv->rt);
    LLVMOrcExecutionSessionRef es = LLVMOrcLLJITGetExecutionSession(jit->lljit);
    LLVMOrcSymbolStringPoolClearDeadEntries(LLVMOrcExecutionSessionGetSymbolStringPool(es));
    jit_release_nonce(jit, priv->nonce);
    free(priv->funcs);
    free(priv->sizes);
    free(priv);
}

/* The machine-code size of each defined function of m, from the symbol tables of its objects
 * (NULL when out of memory: traps then carry no frames). */
static uint32_t *object_func_sizes(const Module *m, uint64_t id, LLVMMemoryBufferRef *objs,
                                   uint32_t n)
{
    uint32_t *sizes = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *sizes);
    char prefix[48];
    lower_func_name(prefix, sizeof prefix, id, 0);
    size_t plen = strlen(prefix) - 1; /* "wk_<id>_f" */
    for (uint32_t i = 0; sizes && i < n; i++) {
        if (!objs[i]) continue;
        char *msg = NULL;
        LLVMBinaryRef bin = LLVMCreateBinary(objs[i], NULL, &msg);
        LLVMDisposeMessage(msg);
        if (!bin) continue;
        LLVMSymbolIteratorRef it = LLVMObjectFileCopySymbolIterator(bin);
        for (; !LLVMObjectFileIsSymbolIteratorAtEnd(bin, it); LLVMMoveToNextSymbol(it)) {
            const char *name = LLVMGetSymbolName(it);
            if (!name || strncmp(name, prefix, plen) != 0) continue;
            unsigned long idx = strtoul(name + plen, NULL, 10);
            if (idx >= m->nimported_funcs && idx - m->nimported_funcs < m->nfuncs)
                sizes[idx - m->nimported_funcs] = (uint32_t)LLVMGetSymbolSize(it);
        }
        LLVMDisposeSymbolIterator(it);
        LLVMDisposeBinary(bin);
    }
    return sizes;
}

/* Adds every object under rt (ownership passes even on failure). */
static wk_error_t *add_objects(Jit *jit, LLVMOrcResourceTrackerRef rt, LLVMMemoryBufferRef *objs,
                               uint32_t n)
{
    wk_error_t *e = NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (!objs[i]) continue;
        LLVMErrorRef err = LLVMOrcLLJITAddObjectFileWithRT(jit->lljit, rt, objs[i]);
        objs[i] = NULL;
        if (err && !e) e = jit_llvm_error(err, "adding object");
        else if (err) LLVMConsumeError(err);
    }
    return e;
}

static wk_error_t *lookup_funcs(Jit *jit, const Module *m, uint64_t id, void **funcs)
{
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        char name[48];
        lower_func_name(name, sizeof name, id, m->nimported_funcs + i);
        LLVMOrcExecutorAddress addr = 0;
        LLVMErrorRef err = LLVMOrcLLJITLookup(jit->lljit, &addr, name);
        if (err) return jit_llvm_error(err, "linking");
        funcs[i] = (void *)(uintptr_t)addr;
    }
    return NULL;
}

wk_error_t *jit_load(Jit *jit, const Module *m, const uint8_t key[CODECACHE_KEY_SIZE],
                     uint64_t nonce, LLVMMemoryBufferRef *objs, uint32_t nobjs,
                     CompiledCode **out)
{
    CodePriv *priv = calloc(1, sizeof *priv);
    if (!priv) abort();
    memcpy(priv->key, key, CODECACHE_KEY_SIZE);
    priv->nonce = nonce;
    priv->nfuncs = m->nfuncs;
    priv->funcs = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *priv->funcs);
    if (!priv->funcs) abort();
    LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(jit->lljit);
    priv->rt = LLVMOrcJITDylibCreateResourceTracker(jd);
    priv->sizes = object_func_sizes(m, nonce, objs, nobjs);
    wk_error_t *e = add_objects(jit, priv->rt, objs, nobjs);
    if (!e) e = lookup_funcs(jit, m, priv->nonce, priv->funcs);
    if (e) {
        unload(jit, priv);
        return e;
    }
    priv->refs = 1;
    pthread_mutex_lock(&jit->lock);
    priv->next = jit->loaded;
    jit->loaded = priv;
    pthread_mutex_unlock(&jit->lock);
    *out = new_handle(priv);
    return NULL;
}

void jit_code_free(Jit *jit, CompiledCode *code)
{
    if (!code) return;
    forkgate_enter();
    CodePriv *priv = code->priv;
    pthread_mutex_lock(&jit->lock);
    bool last = --priv->refs == 0;
    if (last) {
        CodePriv **pp = &jit->loaded;
        while (*pp != priv) pp = &(*pp)->next;
        *pp = priv->next;
    }
    pthread_mutex_unlock(&jit->lock);
    if (last) unload(jit, priv);
    forkgate_leave();
    free(code->funcs);
    free(code);
}

wk_error_t *jit_load_thunk(Jit *jit, LLVMMemoryBufferRef obj, const char *name, void **out)
{
    LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(jit->lljit);
    LLVMErrorRef err = LLVMOrcLLJITAddObjectFile(jit->lljit, jd, obj);
    if (err) return jit_llvm_error(err, "adding thunk");
    LLVMOrcExecutorAddress addr = 0;
    err = LLVMOrcLLJITLookup(jit->lljit, &addr, name);
    if (err) return jit_llvm_error(err, "linking thunk");
    *out = (void *)(uintptr_t)addr;
    return NULL;
}

/* ---- groups of objects (lazy strategy) ---- */

struct JitGroup {
    LLVMOrcResourceTrackerRef rt;
    pthread_mutex_t lock; /* guards nonces */
    uint64_t *nonces;
    uint32_t n, cap;
};

JitGroup *jit_group_new(Jit *jit)
{
    JitGroup *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    pthread_mutex_init(&g->lock, NULL);
    g->rt = LLVMOrcJITDylibCreateResourceTracker(LLVMOrcLLJITGetMainJITDylib(jit->lljit));
    return g;
}

wk_error_t *jit_group_load(Jit *jit, JitGroup *g, uint64_t nonce, LLVMMemoryBufferRef obj,
                           const char *name, void **out)
{
    pthread_mutex_lock(&g->lock);
    bool ok = g->n < g->cap;
    if (!ok) {
        uint32_t cap = g->cap ? 2 * g->cap : 64;
        uint64_t *nonces = realloc(g->nonces, cap * sizeof *nonces);
        if ((ok = nonces != NULL)) {
            g->nonces = nonces;
            g->cap = cap;
        }
    }
    if (ok) g->nonces[g->n++] = nonce;
    pthread_mutex_unlock(&g->lock);
    if (!ok) {
        LLVMDisposeMemoryBuffer(obj);
        jit_release_nonce(jit, nonce);
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    LLVMErrorRef err = LLVMOrcLLJITAddObjectFileWithRT(jit->lljit, g->rt, obj);
    if (err) return jit_llvm_error(err, "adding object");
    LLVMOrcExecutorAddress addr = 0;
    err = LLVMOrcLLJITLookup(jit->lljit, &addr, name);
    if (err) return jit_llvm_error(err, "linking");
    *out = (void *)(uintptr_t)addr;
    return NULL;
}

void jit_group_free(Jit *jit, JitGroup *g)
{
    if (!g) return;
    LLVMErrorRef err = LLVMOrcResourceTrackerRemove(g->rt);
    if (err) LLVMConsumeError(err);
    LLVMOrcReleaseResourceTracker(g->rt);
    LLVMOrcExecutionSessionRef es = LLVMOrcLLJITGetExecutionSession(jit->lljit);
    LLVMOrcSymbolStringPoolClearDeadEntries(LLVMOrcExecutionSessionGetSymbolStringPool(es));
    for (uint32_t i = 0; i < g->n; i++) jit_release_nonce(jit, g->nonces[i]);
    pthread_mutex_destroy(&g->lock);
    free(g->nonces);
    free(g);
}
