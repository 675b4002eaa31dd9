/* The JIT: one ORC LLJIT per Jit, runtime helpers bound as absolute symbols, parallel
 * compilation of a module's functions (partitions of functions, one LLVMContext and
 * TargetMachine per worker thread, objects emitted to memory then linked by ORC), the object
 * cache glue (WK_CACHE_DIR), sharing of loaded code between identical modules, and the
 * per-signature host<->Wasm trampolines. LLVM errors become wk_error_t. Environment (jit_new
 * only): WK_JIT_OPT=0 selects the fast tier, WK_CACHE_DIR enables the object cache;
 * WK_JIT_VERIFY verifies the IR. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Object.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <llvm-c/blake3.h>

#include "jit.h"
#include "jit_cache.h"
#include "lower.h"

typedef struct Thunk {
    uint32_t type_id;
    void *tramp, *adapter;
} Thunk;

/* Loaded code, shared by every CompiledCode of the same module bytes in this Jit. */
typedef struct CodePriv {
    LLVMOrcResourceTrackerRef rt;
    uint64_t nonce;
    uint8_t key[JIT_CACHE_KEY_SIZE];
    uint32_t refs; /* handles (CompiledCode) using it; guarded by jit->lock */
    uint32_t nfuncs;
    void **funcs;
    uint32_t *sizes; /* machine-code bytes of each function, or NULL */
    struct CodePriv *next; /* in jit->loaded */
} CodePriv;

struct Jit {
    LLVMOrcLLJITRef lljit;
    BoundsMode mode;
    JitTier tier; /* jit_compile's tier */
    char *triple, *cpu, *features;
    LLVMTargetRef target;
    atomic_ullong next_nonce;
    char *cache_dir;  /* WK_CACHE_DIR: the object cache, or NULL */
    pthread_mutex_t lock; /* guards thunks, thunk_tm, live, loaded, ORC additions of thunks */
    uint64_t *live;   /* symbol nonces of the compiled modules now loaded */
    CodePriv *loaded; /* loaded code by key, shared by identical modules */
    uint32_t nlive, live_cap;
    LLVMTargetMachineRef thunk_tm; /* for trampolines and adapters, made on first use */
    Thunk *thunks;
    uint32_t nthunks, thunk_cap;
};

static pthread_once_t llvm_once = PTHREAD_ONCE_INIT;
static bool verify_ir, dump_ir; /* WK_JIT_VERIFY, WK_JIT_DUMP; read once, in llvm_init */

static void llvm_init(void)
{
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    LLVMInitializeNativeAsmParser();
    verify_ir = getenv("WK_JIT_VERIFY") != NULL;
    dump_ir = getenv("WK_JIT_DUMP") != NULL;
}

/* Consumes err; returns an owned WK_ERROR_RESOURCE error naming `what`. */
static wk_error_t *llvm_error(LLVMErrorRef err, const char *what)
{
    char *msg = LLVMGetErrorMessage(err);
    wk_error_t *e = error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "LLVM %s: %s", what, msg);
    LLVMDisposeErrorMessage(msg);
    return e;
}

/* The fast tier generates code at CodeGenLevelNone (FastISel); O2 at the default level. */
static LLVMTargetMachineRef make_tm(const Jit *jit, JitTier tier)
{
    LLVMCodeGenOptLevel level = tier == JIT_TIER_FAST ? LLVMCodeGenLevelNone
                                                      : LLVMCodeGenLevelDefault;
    return LLVMCreateTargetMachine(jit->target, jit->triple, jit->cpu, jit->features, level,
                                   LLVMRelocPIC, LLVMCodeModelSmall);
}

static const char *pipeline(JitTier tier)
{
    if (tier == JIT_TIER_FAST)
        return "function(sroa,early-cse,instcombine<no-verify-fixpoint>,simplifycfg)";
    return "default<O2>";
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

#define WK_RT_ADDR(name, ret, params) {#name, (uint64_t)(uintptr_t)&name},

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
        return llvm_error(err, "defining runtime helpers");
    }
    LLVMOrcDefinitionGeneratorRef gen;
    err = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
        &gen, LLVMOrcLLJITGetGlobalPrefix(jit->lljit), process_symbol_filter, NULL);
    if (err) return llvm_error(err, "process symbols");
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

wk_error_t *jit_new(BoundsMode mode, Jit **out)
{
    const char *opt = getenv("WK_JIT_OPT");
    JitOptions o = {.tier = opt && opt[0] == '0' ? JIT_TIER_FAST : JIT_TIER_O2,
                    .cache_dir = getenv("WK_CACHE_DIR")};
    return jit_new_with(mode, &o, out);
}

wk_error_t *jit_new_with(BoundsMode mode, const JitOptions *opts, Jit **out)
{
    pthread_once(&llvm_once, llvm_init);
    Jit *jit = calloc(1, sizeof *jit);
    if (!jit) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    jit->mode = mode;
    if (opts->cache_dir && opts->cache_dir[0]) jit->cache_dir = strdup(opts->cache_dir);
    atomic_init(&jit->next_nonce, (uint64_t)(uintptr_t)jit ^ ((uint64_t)time(NULL) << 32));
    jit->tier = opts->tier;
    pthread_mutex_init(&jit->lock, NULL);
    wk_error_t *e = init_target(jit);
    if (e) goto fail;
    LLVMErrorRef err = LLVMOrcCreateLLJIT(&jit->lljit, LLVMOrcCreateLLJITBuilder());
    if (err) {
        e = llvm_error(err, "creating LLJIT");
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

void jit_delete(Jit *jit)
{
    if (!jit) return;
    if (jit->lljit) {
        LLVMErrorRef err = LLVMOrcDisposeLLJIT(jit->lljit);
        if (err) LLVMConsumeError(err);
    }
    if (jit->thunk_tm) LLVMDisposeTargetMachine(jit->thunk_tm);
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
    free(jit->thunks);
    free(jit->live);
    free(jit->cache_dir);
    free(jit);
}

/* ---- compiling one LLVM module to an object ---- */

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

static void prepare_module(const Jit *jit, LLVMModuleRef mod, LLVMTargetMachineRef tm)
{
    LLVMSetTarget(mod, jit->triple);
    LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(mod, dl);
    LLVMDisposeTargetData(dl);
}

/* Debugging aid: with WK_JIT_VERIFY set, every module is verified before optimisation (and
 * dumped to stderr when invalid and WK_JIT_DUMP is set too). */
static wk_error_t *verify(LLVMModuleRef mod)
{
    if (!verify_ir) return NULL;
    char *msg = NULL;
    if (!LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
        LLVMDisposeMessage(msg);
        return NULL;
    }
    wk_error_t *e = error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "invalid IR: %s", msg);
    if (dump_ir) LLVMDumpModule(mod);
    LLVMDisposeMessage(msg);
    return e;
}

/* Optimises `mod` with pipeline `passes` (none when NULL) and emits an object into *obj. */
static wk_error_t *emit_object(const char *passes, LLVMModuleRef mod, LLVMTargetMachineRef tm,
                               LLVMMemoryBufferRef *obj)
{
    wk_error_t *e = verify(mod);
    if (e) return e;
    keep_frame_pointers(mod);
    if (passes) {
        LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
        LLVMErrorRef err = LLVMRunPasses(mod, passes, tm, opts);
        LLVMDisposePassBuilderOptions(opts);
        if (err) return llvm_error(err, "optimising");
    }
    char *msg = NULL;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &msg, obj)) {
        e = error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "LLVM codegen: %s", msg);
        LLVMDisposeMessage(msg);
        return e;
    }
    return NULL;
}

/* ---- parallel compilation of a module ---- */

typedef struct Part {
    uint32_t lo, hi; /* defined-function indices */
    LLVMMemoryBufferRef obj;
    wk_error_t *err;
} Part;

typedef struct Work {
    const Jit *jit;
    JitTier tier;
    const atomic_bool *cancel; /* or NULL */
    const Module *m;
    uint64_t module_id;
    Part *parts;
    uint32_t nparts;
    atomic_uint next;
} Work;

/* Control nesting past which the O2 IR pipeline goes quadratic (10,000 nested ifs: minutes in
 * SimplifyCFG); such functions get the fast tier's passes instead. */
#define DEEP_NESTING 256

/* True when a function in [lo, hi) nests blocks deeper than DEEP_NESTING. */
static bool part_nests_deep(const Module *m, uint32_t lo, uint32_t hi)
{
    for (uint32_t i = lo; i < hi; i++) {
        const Func *f = &m->funcs[i];
        Reader r = {m->bytes, f->body_offset, (size_t)f->body_offset + f->body_size};
        uint32_t depth = 0;
        while (!reader_eof(&r)) {
            Instr in;
            wk_error_t *err = instr_read(&r, &in);
            if (err) {
                wk_error_delete(err);
                break;
            }
            if (in.op == OP_Block || in.op == OP_Loop || in.op == OP_If) depth++;
            else if (in.op == OP_End) depth--;
            if (depth > DEEP_NESTING) return true;
        }
    }
    return false;
}

static void compile_part(Work *w, Part *p, LLVMTargetMachineRef tm)
{
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMContextSetDiscardValueNames(ctx, 1);
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("wasm", ctx);
    prepare_module(w->jit, mod, tm);
    p->err = lower_functions(w->m, w->jit->mode, w->module_id, ctx, mod, p->lo, p->hi);
    JitTier tier = part_nests_deep(w->m, p->lo, p->hi) ? JIT_TIER_FAST : w->tier;
    if (!p->err) p->err = emit_object(pipeline(tier), mod, tm, &p->obj);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
}

static void *worker(void *arg)
{
    Work *w = arg;
    LLVMTargetMachineRef tm = make_tm(w->jit, w->tier);
    for (;;) {
        uint32_t k = atomic_fetch_add(&w->next, 1);
        if (k >= w->nparts || (w->cancel && atomic_load(w->cancel))) break;
        compile_part(w, &w->parts[k], tm);
    }
    LLVMDisposeTargetMachine(tm);
    return NULL;
}

/* Splits the defined functions into contiguous parts of similar body size. */
static uint32_t partition(const Module *m, uint32_t want, Part *parts)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++) total += m->funcs[i].body_size + 16;
    uint32_t n = 0, lo = 0;
    uint64_t acc = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        acc += m->funcs[i].body_size + 16;
        if (acc * want >= total * (n + 1) || i + 1 == m->nfuncs) {
            parts[n++] = (Part){.lo = lo, .hi = i + 1};
            lo = i + 1;
        }
    }
    return n;
}

static uint32_t parts_wanted(const Module *m, uint32_t ncpu)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++) total += m->funcs[i].body_size;
    if (ncpu <= 1 || total < 16 * 1024 || m->nfuncs < 8) return 1;
    uint32_t want = 2 * ncpu;
    return want < m->nfuncs ? want : m->nfuncs;
}

static void run_workers(Work *w, uint32_t nthreads)
{
    if (nthreads <= 1) {
        worker(w);
        return;
    }
    pthread_t tids[nthreads];
    uint32_t started = 0;
    for (uint32_t i = 0; i < nthreads; i++)
        if (pthread_create(&tids[started], NULL, worker, w) == 0) started++;
    if (started == 0) worker(w);
    for (uint32_t i = 0; i < started; i++) pthread_join(tids[i], NULL);
}

static uint32_t cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (uint32_t)n;
}

/* The machine-code size of each defined function of m, from the symbol tables of the parts'
 * objects (NULL when out of memory or unreadable: traps then carry no frames). */
static uint32_t *object_func_sizes(const Module *m, uint64_t id, const Part *parts,
                                   uint32_t n)
{
    uint32_t *sizes = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *sizes);
    char prefix[48];
    lower_func_name(prefix, sizeof prefix, id, 0);
    size_t plen = strlen(prefix) - 1; /* "wk_<id>_f" */
    for (uint32_t i = 0; sizes && i < n; i++) {
        if (!parts[i].obj) continue;
        char *msg = NULL;
        LLVMBinaryRef bin = LLVMCreateBinary(parts[i].obj, NULL, &msg);
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

/* Adds every part's object under rt (ownership passes even on failure). */
static wk_error_t *add_objects(Jit *jit, LLVMOrcResourceTrackerRef rt, Part *parts, uint32_t n)
{
    wk_error_t *e = NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (!parts[i].obj) continue;
        LLVMErrorRef err = LLVMOrcLLJITAddObjectFileWithRT(jit->lljit, rt, parts[i].obj);
        parts[i].obj = NULL;
        if (err && !e) e = llvm_error(err, "adding object");
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
        if (err) return llvm_error(err, "linking");
        funcs[i] = (void *)(uintptr_t)addr;
    }
    return NULL;
}

static wk_error_t *compile_parts(Jit *jit, const Module *m, JitTier tier,
                                 const atomic_bool *cancel, uint64_t id, Part *parts,
                                 uint32_t nparts)
{
    Work w = {.jit = jit, .tier = tier, .cancel = cancel, .m = m, .module_id = id,
              .parts = parts, .nparts = nparts};
    uint32_t ncpu = cpu_count();
    run_workers(&w, nparts < ncpu ? nparts : ncpu);
    wk_error_t *e = NULL;
    if (cancel && atomic_load(cancel))
        e = error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "compilation cancelled");
    for (uint32_t i = 0; i < nparts; i++) {
        if (parts[i].err && !e) e = parts[i].err;
        else if (parts[i].err) wk_error_delete(parts[i].err);
    }
    return e;
}

static void free_objects(Part *parts, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (parts[i].obj) LLVMDisposeMemoryBuffer(parts[i].obj);
}

/* ---- symbol nonces and the object cache ---- */

/* Records nonce as loaded; false when a loaded module already uses it. */
static bool claim_nonce(Jit *jit, uint64_t nonce)
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

static void release_nonce(Jit *jit, uint64_t nonce)
{
    pthread_mutex_lock(&jit->lock);
    for (uint32_t i = 0; i < jit->nlive; i++)
        if (jit->live[i] == nonce) jit->live[i] = jit->live[--jit->nlive];
    pthread_mutex_unlock(&jit->lock);
}

static uint64_t fresh_nonce(Jit *jit)
{
    for (;;) {
        uint64_t n = atomic_fetch_add(&jit->next_nonce, 0x9E3779B97F4A7C15ull);
        if (claim_nonce(jit, n)) return n;
    }
}

/* Identifies this build of the library: the file holding this code (executable or shared
 * object) with its size and modification time, so any rebuild invalidates cached objects. */
static void build_stamp(char *buf, size_t size)
{
    Dl_info info;
    struct stat st;
    if (dladdr((void *)build_stamp, &info) && info.dli_fname && stat(info.dli_fname, &st) == 0)
        snprintf(buf, size, "%s %lld %lld.%09ld", info.dli_fname, (long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    else
        snprintf(buf, size, "%s %s", __DATE__, __TIME__);
}

/* The key of a module (object cache file name, sharing of loaded code): the Wasm bytes and
 * everything the object code depends on (this build of the library, LLVM, the target and
 * CPU, the tier and bounds mode). */
static void cache_key(const Jit *jit, const Module *m, JitTier tier,
                      uint8_t key[JIT_CACHE_KEY_SIZE])
{
    unsigned major, minor, patch;
    LLVMGetVersion(&major, &minor, &patch);
    char stamp[512], config[2048];
    build_stamp(stamp, sizeof stamp);
    int n = snprintf(config, sizeof config, "wasmkiln %s %s|llvm %u.%u.%u|%s|%s|%s|%d|%d",
                     WK_VERSION, stamp, major, minor, patch, jit->triple, jit->cpu,
                     jit->features, (int)tier, (int)jit->mode);
    llvm_blake3_hasher h;
    llvm_blake3_hasher_init(&h);
    llvm_blake3_hasher_update(&h, m->bytes, m->size);
    llvm_blake3_hasher_update(&h, config, n > 0 ? (size_t)n : 0);
    llvm_blake3_hasher_finalize(&h, key, JIT_CACHE_KEY_SIZE);
}

/* Parts from the cache entry of key, when there is one whose nonce is free in this Jit. */
static bool load_cached(Jit *jit, const uint8_t *key, Part **parts, uint32_t *nparts,
                        uint64_t *nonce)
{
    CacheEntry ce;
    if (!cache_load(jit->cache_dir, key, &ce)) return false;
    bool ok = claim_nonce(jit, ce.nonce);
    if (ok) {
        *parts = calloc(ce.nobjs ? ce.nobjs : 1, sizeof **parts);
        if (!*parts) abort();
        for (uint32_t i = 0; i < ce.nobjs; i++)
            (*parts)[i].obj = LLVMCreateMemoryBufferWithMemoryRangeCopy(
                (const char *)ce.objs[i], ce.sizes[i], "wasm");
        *nparts = ce.nobjs;
        *nonce = ce.nonce;
    }
    cache_entry_free(&ce);
    return ok;
}

static void store_cached(Jit *jit, const uint8_t *key, Part *parts, uint32_t nparts,
                         uint64_t nonce)
{
    CacheEntry ce = {.nonce = nonce, .nobjs = nparts};
    ce.objs = calloc(nparts ? nparts : 1, sizeof *ce.objs);
    ce.sizes = calloc(nparts ? nparts : 1, sizeof *ce.sizes);
    if (!ce.objs || !ce.sizes) abort();
    for (uint32_t i = 0; i < nparts; i++) {
        ce.objs[i] = (uint8_t *)LLVMGetBufferStart(parts[i].obj);
        ce.sizes[i] = LLVMGetBufferSize(parts[i].obj);
    }
    cache_store(jit->cache_dir, key, &ce);
    free(ce.objs);
    free(ce.sizes);
}

/* The objects of m: from the cache when possible, else compiled (and then cached). */
static wk_error_t *build_objects(Jit *jit, const Module *m, JitTier tier,
                                 const atomic_bool *cancel, const uint8_t *key, bool try_cache,
                                 Part **parts, uint32_t *nparts, uint64_t *nonce)
{
    if (try_cache && jit->cache_dir && load_cached(jit, key, parts, nparts, nonce)) return NULL;
    *nonce = fresh_nonce(jit);
    uint32_t want = parts_wanted(m, cpu_count());
    *parts = calloc(want ? want : 1, sizeof **parts);
    if (!*parts) abort();
    *nparts = m->nfuncs ? partition(m, want, *parts) : 0;
    wk_error_t *e = compile_parts(jit, m, tier, cancel, *nonce, *parts, *nparts);
    if (!e && jit->cache_dir) store_cached(jit, key, *parts, *nparts, *nonce);
    return e;
}

/* ---- compiled modules ---- */


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

/* A new handle on already loaded code for `key`, or NULL. */
static CompiledCode *share_loaded(Jit *jit, const uint8_t *key)
{
    pthread_mutex_lock(&jit->lock);
    CodePriv *p = jit->loaded;
    while (p && memcmp(p->key, key, JIT_CACHE_KEY_SIZE) != 0) p = p->next;
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
    release_nonce(jit, priv->nonce);
    free(priv->funcs);
    free(priv->sizes);
    free(priv);
}

/* Compiles (or loads from the cache when try_cache) and links m's code into a new CodePriv. */
static wk_error_t *load_module(Jit *jit, const Module *m, JitTier tier,
                               const atomic_bool *cancel, const uint8_t *key, bool try_cache,
                               CodePriv **out)
{
    CodePriv *priv = calloc(1, sizeof *priv);
    if (!priv) abort();
    memcpy(priv->key, key, JIT_CACHE_KEY_SIZE);
    priv->nfuncs = m->nfuncs;
    priv->funcs = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *priv->funcs);
    if (!priv->funcs) abort();
    Part *parts = NULL;
    uint32_t nparts = 0;
    wk_error_t *e =
        build_objects(jit, m, tier, cancel, key, try_cache, &parts, &nparts, &priv->nonce);
    LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(jit->lljit);
    priv->rt = LLVMOrcJITDylibCreateResourceTracker(jd);
    if (!e) priv->sizes = object_func_sizes(m, priv->nonce, parts, nparts);
    if (!e) e = add_objects(jit, priv->rt, parts, nparts);
    if (!e) e = lookup_funcs(jit, m, priv->nonce, priv->funcs);
    free_objects(parts, nparts);
    free(parts);
    if (e) {
        unload(jit, priv);
        return e;
    }
    *out = priv;
    return NULL;
}

wk_error_t *jit_compile(Jit *jit, const Module *m, CompiledCode **out)
{
    return jit_compile_tier(jit, m, jit->tier, false, NULL, out);
}

JitTier jit_tier(const Jit *jit)
{
    return jit->tier;
}

/* True when the cache holds an entry for key (an unreadable one counts: loading will tell). */
static bool cache_has(const Jit *jit, const uint8_t *key)
{
    return jit->cache_dir && cache_exists(jit->cache_dir, key);
}

wk_error_t *jit_compile_tier(Jit *jit, const Module *m, JitTier tier, bool if_cached,
                             const atomic_bool *cancel, CompiledCode **out)
{
    uint8_t key[JIT_CACHE_KEY_SIZE];
    cache_key(jit, m, tier, key);
    CompiledCode *code = share_loaded(jit, key);
    *out = code;
    if (code || (if_cached && !cache_has(jit, key))) return NULL;
    CodePriv *priv = NULL;
    wk_error_t *e = load_module(jit, m, tier, cancel, key, true, &priv);
    if (e && jit->cache_dir && !(cancel && atomic_load(cancel))) { /* damaged cache file? */
        wk_error_delete(e);
        e = load_module(jit, m, tier, cancel, key, false, &priv);
    }
    if (e) return e;
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
    free(code->funcs);
    free(code);
}

/* ---- trampolines and host adapters ---- */

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
    LLVMTypeRef ptr = LLVMPointerTypeInContext(ctx, 0);
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
    LLVMTypeRef hp[2] = {ptr, ptr};
    LLVMTypeRef hty = LLVMFunctionType(LLVMVoidTypeInContext(ctx), hp, 2, 0);
    LLVMValueRef host = LLVMAddFunction(mod, "wk_rt_host_call", hty);
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

/* Compiles the thunk `name` built by `build` and returns its address. Caller holds jit->lock.
 * Thunks are straight-line code: no IR passes, only code generation. */
static wk_error_t *compile_thunk(Jit *jit, const char *name, const FuncType *ft,
                                 void (*build)(LLVMModuleRef, LLVMContextRef, const char *,
                                               const FuncType *),
                                 void **out)
{
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext(name, ctx);
    if (!jit->thunk_tm) jit->thunk_tm = make_tm(jit, jit->tier);
    prepare_module(jit, mod, jit->thunk_tm);
    build(mod, ctx, name, ft);
    LLVMMemoryBufferRef obj = NULL;
    wk_error_t *e = emit_object(NULL, mod, jit->thunk_tm, &obj);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    if (e) return e;
    LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(jit->lljit);
    LLVMErrorRef err = LLVMOrcLLJITAddObjectFile(jit->lljit, jd, obj);
    if (err) return llvm_error(err, "adding thunk");
    LLVMOrcExecutorAddress addr = 0;
    err = LLVMOrcLLJITLookup(jit->lljit, &addr, name);
    if (err) return llvm_error(err, "linking thunk");
    *out = (void *)(uintptr_t)addr;
    return NULL;
}

static Thunk *thunk_slot(Jit *jit, uint32_t type_id)
{
    for (uint32_t i = 0; i < jit->nthunks; i++)
        if (jit->thunks[i].type_id == type_id) return &jit->thunks[i];
    if (jit->nthunks == jit->thunk_cap) {
        jit->thunk_cap = jit->thunk_cap ? 2 * jit->thunk_cap : 16;
        jit->thunks = realloc(jit->thunks, jit->thunk_cap * sizeof *jit->thunks);
        if (!jit->thunks) abort();
    }
    Thunk *t = &jit->thunks[jit->nthunks++];
    *t = (Thunk){.type_id = type_id};
    return t;
}

static wk_error_t *get_thunk(Jit *jit, uint32_t type_id, const FuncType *type, bool adapter,
                             void **out)
{
    pthread_mutex_lock(&jit->lock);
    Thunk *t = thunk_slot(jit, type_id);
    void **slot = adapter ? &t->adapter : &t->tramp;
    wk_error_t *e = NULL;
    if (!*slot) {
        char name[48];
        snprintf(name, sizeof name, adapter ? "wk_host_t%u" : "wk_tramp_t%u", type_id);
        e = compile_thunk(jit, name, type, adapter ? build_adapter : build_trampoline, slot);
    }
    if (!e) *out = *slot;
    pthread_mutex_unlock(&jit->lock);
    return e;
}

wk_error_t *jit_trampoline(Jit *jit, uint32_t type_id, const FuncType *type, Trampoline *out)
{
    void *p = NULL;
    wk_error_t *e = get_thunk(jit, type_id, type, false, &p);
    if (!e) *out = (Trampoline)p;
    return e;
}

wk_error_t *jit_host_adapter(Jit *jit, uint32_t type_id, const FuncType *type, void **out)
{
    return get_thunk(jit, type_id, type, true, out);
}

wk_error_t *jit_module_ir(const Module *m, BoundsMode mode, char **out)
{
    pthread_once(&llvm_once, llvm_init);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("wasm", ctx);
    wk_error_t *e = lower_functions(m, mode, 0, ctx, mod, 0, m->nfuncs);
    char *msg = NULL;
    if (!e && LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg))
        e = error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "invalid IR: %s", msg);
    LLVMDisposeMessage(msg);
    if (!e) {
        char *ir = LLVMPrintModuleToString(mod);
        *out = strdup(ir);
        LLVMDisposeMessage(ir);
    }
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    return e;
}
