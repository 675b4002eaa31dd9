/* The ABI between compiled code and the runtime: the VMContext every compiled function takes as
 * its first parameter, the runtime objects it points at, and the helpers compiled code calls.
 * Compiled code holds no host address: it reaches everything through vmctx or through the
 * helper symbols below (bound by name when the object is linked). */
#ifndef WK_VMCTX_H
#define WK_VMCTX_H

#include <stddef.h>
#include <stdint.h>

#define WK_PAGE_SIZE 65536u
#define WK_MAX_PAGES 65536u
/* Guard-page mode reserves this much address space per memory: any i32 address plus any u32
 * offset plus an access of up to 16 bytes lands inside it. */
#define WK_MEMORY_RESERVATION ((uint64_t)8 << 30)
#define WK_MEMORY_GUARD ((uint64_t)64 << 10)

/* A raw value slot: host<->wasm trampolines read params from and write results to arrays of
 * these (16 bytes each, so v128 fits). */
typedef union WasmVal {
    uint32_t i32;
    uint64_t i64;
    uint32_t f32_bits;
    uint64_t f64_bits;
    uint8_t v128[16];
    void *ref; /* funcref: VMFuncRef * or NULL; externref: host pointer or NULL */
} WasmVal;

struct VMContext;

/* A function reference: what tables hold, what ref.func yields, what call_indirect calls.
 * `code` has the Wasm signature `ret code(VMContext *vmctx, params...)` (C calling convention,
 * several results returned as an LLVM struct); for host functions `vmctx` is the host
 * function's own context and `code` an adapter compiled for its type. Addresses are stable for
 * the life of the store. */
typedef struct VMFuncRef {
    void *code;
    struct VMContext *vmctx;
    uint32_t type_id; /* engine-wide canonical signature id */
} VMFuncRef;

typedef struct VMMemory {
    uint8_t *base;     /* never moves */
    uint64_t bytes;    /* current size in bytes (pages * 64 KiB) */
    uint32_t pages;    /* current size in pages */
    uint32_t max_pages;
} VMMemory;

/* elems[i] is a VMFuncRef * (funcref tables) or a host pointer (externref); NULL is null.
 * elems may be reallocated by table.grow: reload it after any call. */
typedef struct VMTable {
    void **elems;
    uint32_t size;
    uint32_t max;     /* UINT32_MAX when unbounded */
    uint8_t elem_type; /* WK_FUNCREF or WK_EXTERNREF */
} VMTable;

typedef struct VMGlobal {
    WasmVal value;
} VMGlobal;

/* Per-store state shared by every instance of the store. */
typedef struct VMStore {
    uint8_t *stack_limit;              /* compiled prologues trap when sp is below it */
    struct VMContext *caller_vmctx;    /* set by compiled code before calling an import or
                                          through call_indirect, read by host adapters */
    uint8_t entered;                   /* runtime only: 1 once an entry has checked the fault
                                          handler for this store (lib/trap.c) */
    uint32_t poll;                     /* atomic: nonzero when compiled code must call
                                          wk_rt_poll at its next function entry or loop header
                                          (interrupt requested, deadline passed; lib/interrupt.c) */
    uint32_t running;                  /* runtime only: entries into this store now running */
    uintptr_t stack_budget;            /* runtime only: native stack Wasm may use per outermost
                                          entry (wk_store_limits_t.stack_bytes) */
} VMStore;

/* The per-instance context. Field order is ABI: lowering uses offsetof on these. */
typedef struct VMContext {
    uint64_t magic;              /* WK_VMCTX_MAGIC */
    VMStore *store;
    uint8_t *mem0_base;          /* base of memory 0, or NULL when there is none */
    VMMemory *mem0;              /* memory 0, or NULL */
    VMMemory **memories;         /* memory index space (imports first) */
    VMTable **tables;            /* table index space */
    VMGlobal **globals;          /* global index space; imported ones point at the owner's */
    VMFuncRef **funcs;           /* function index space; imported ones are the exporter's */
    const uint32_t *type_ids;    /* module type index -> engine-wide id */
    struct Instance *instance;   /* the runtime's own instance object */
    int64_t fuel;                /* operations left (fuel metering); negative: out of fuel */
    int32_t *hot;                /* lazy strategy: per defined function, the events (calls,
                                    loop iterations) left before it asks for O2 (wk_rt_hot);
                                    shared by the module's instances; else NULL */
} VMContext;

#define WK_VMCTX_MAGIC 0x786374786b6d77ull /* "wmkctx" */

/* The types helper signatures are written in (WK_RT_HELPERS). */
enum {
    ABI_VOID, /* void (results only) */
    ABI_I32,  /* uint32_t */
    ABI_PTR,  /* void *: a reference (funcref VMFuncRef * or externref), NULL is null */
    ABI_CTX,  /* struct VMContext * */
    ABI_VALS, /* WasmVal * */
};
#define WK_ABI_CTYPE(t) WK_ABI_CTYPE_##t
#define WK_ABI_CTYPE_ABI_VOID void
#define WK_ABI_CTYPE_ABI_I32 uint32_t
#define WK_ABI_CTYPE_ABI_PTR void *
#define WK_ABI_CTYPE_ABI_CTX struct VMContext *
#define WK_ABI_CTYPE_ABI_VALS WasmVal *

/* wk_rt_poll is the slow path of the checks at function entries and loop headers: it raises
 * "call stack exhausted" when stack_low is nonzero, "interrupted" when the store's poll word
 * asks for it, "out of fuel" when vmctx->fuel is negative, and otherwise returns
 * (lib/interrupt.c). */
/* Helpers called from compiled code (runtime side; C calling convention), the one list of
 * their signatures: X(name, traps, result, params...) for the symbol wk_rt_<name>. Lowering
 * declares them from it (lower.c), the JIT binds their addresses (jit.c), and the C prototypes
 * below are generated from it. `traps` = 1: the helper raises a trap and never returns.
 * wk_rt_trap's kind is a wk_trap_kind_t (WK_TRAP_UNREACHABLE ...). wk_rt_trap_index raises the
 * same trap with the index in its message, as the reference interpreter words it
 * ("uninitialized element 2"): call_indirect uses it for a null element. The parameters after
 * the VMContext, in order: */
#define WK_RT_HELPERS(X)                                                                       \
    X(trap, 1, ABI_VOID, ABI_CTX, ABI_I32)                            /* kind */               \
    X(trap_index, 1, ABI_VOID, ABI_CTX, ABI_I32, ABI_I32)             /* kind, index */        \
    X(memory_grow, 0, ABI_I32, ABI_CTX, ABI_I32, ABI_I32)             /* mem, delta */         \
    X(memory_init, 0, ABI_VOID, ABI_CTX, ABI_I32, ABI_I32, ABI_I32, ABI_I32, ABI_I32)          \
    /* mem, data, dst, src, n */                                                               \
    X(data_drop, 0, ABI_VOID, ABI_CTX, ABI_I32)                       /* data */               \
    X(memory_copy, 0, ABI_VOID, ABI_CTX, ABI_I32, ABI_I32, ABI_I32, ABI_I32, ABI_I32)          \
    /* dst_mem, src_mem, dst, src, n */                                                        \
    X(memory_fill, 0, ABI_VOID, ABI_CTX, ABI_I32, ABI_I32, ABI_I32, ABI_I32)                   \
    /* mem, dst, val, n */                                                                     \
    X(table_get, 0, ABI_PTR, ABI_CTX, ABI_I32, ABI_I32)               /* table, i */           \
    X(table_set, 0, ABI_VOID, ABI_CTX, ABI_I32, ABI_I32, ABI_PTR)     /* table, i, v */        \
    X(table_grow, 0, ABI_I32, ABI_CTX, ABI_I32, ABI_PTR, ABI_I32)     /* table, init, delta */ \
    X(table_fill, 0, ABI_VOID, ABI_CTX, ABI_I32, ABI_I32, ABI_PTR, ABI_I32)                    \
    /* table, i, v, n */                                                                       \
    X(table_copy, 0, ABI_VOID, ABI_CTX, ABI_I32, ABI_I32, ABI_I32, ABI_I32, ABI_I32)           \
    /* dst_table, src_table, dst, src, n */                                                    \
    X(table_init, 0, ABI_VOID, ABI_CTX, ABI_I32, ABI_I32, ABI_I32, ABI_I32, ABI_I32)           \
    /* table, elem, dst, src, n */                                                             \
    X(elem_drop, 0, ABI_VOID, ABI_CTX, ABI_I32)                       /* elem */               \
    X(host_call, 0, ABI_VOID, ABI_CTX, ABI_VALS) /* host_ctx (the host function's), vals */   \
    X(poll, 0, ABI_VOID, ABI_CTX, ABI_I32)                            /* stack_low */          \
    X(hot, 0, ABI_VOID, ABI_CTX, ABI_I32)                             /* defined index */

/* The symbol of helper `name`, and its name as a string. */
#define WK_RT_SYMBOL(name) wk_rt_##name
#define WK_RT_SYMBOL_NAME(name) "wk_rt_" #name

/* WK_MAP(f, a, b, ...) is f(a), f(b), ... (at most 6 arguments); WK_COUNT counts them. */
#define WK_COUNT(...) WK_COUNT_(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define WK_COUNT_(a, b, c, d, e, f, n, ...) n
#define WK_CAT(a, b) WK_CAT_(a, b)
#define WK_CAT_(a, b) a##b
#define WK_MAP(f, ...) WK_CAT(WK_MAP, WK_COUNT(__VA_ARGS__))(f, __VA_ARGS__)
#define WK_MAP1(f, a) f(a)
#define WK_MAP2(f, a, ...) f(a), WK_MAP1(f, __VA_ARGS__)
#define WK_MAP3(f, a, ...) f(a), WK_MAP2(f, __VA_ARGS__)
#define WK_MAP4(f, a, ...) f(a), WK_MAP3(f, __VA_ARGS__)
#define WK_MAP5(f, a, ...) f(a), WK_MAP4(f, __VA_ARGS__)
#define WK_MAP6(f, a, ...) f(a), WK_MAP5(f, __VA_ARGS__)

#define WK_RT_DECLARE(name, traps, result, ...) \
    WK_ABI_CTYPE(result) WK_RT_SYMBOL(name)(WK_MAP(WK_ABI_CTYPE, __VA_ARGS__));
WK_RT_HELPERS(WK_RT_DECLARE)
#undef WK_RT_DECLARE

#endif
