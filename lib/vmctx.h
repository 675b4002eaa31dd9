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
    int32_t *hot;                /* lazy strategy: per defined function, the events (calls,
                                    loop iterations) left before it asks for O2 (wk_rt_hot);
                                    shared by the module's instances; else NULL */
} VMContext;

#define WK_VMCTX_MAGIC 0x786374786b6d77ull /* "wmkctx" */

/* Helpers called from compiled code (runtime side; C calling convention). Each name is a
 * symbol bound by the JIT as an absolute symbol. Those that trap never return.
 * wk_rt_trap's kind is a wk_trap_kind_t (WK_TRAP_UNREACHABLE ...). wk_rt_trap_index raises the
 * same trap with the index in its message, as the reference interpreter words it
 * ("uninitialized element 2"): call_indirect uses it for a null element. */
#define WK_RT_HELPERS(X)                                                                       \
    X(wk_rt_trap, void, (struct VMContext *vmctx, uint32_t kind))                              \
    X(wk_rt_trap_index, void, (struct VMContext *vmctx, uint32_t kind, uint32_t index))        \
    X(wk_rt_memory_grow, uint32_t, (struct VMContext *vmctx, uint32_t mem, uint32_t delta))    \
    X(wk_rt_memory_init, void, (struct VMContext *vmctx, uint32_t mem, uint32_t data,          \
                                uint32_t dst, uint32_t src, uint32_t n))                      \
    X(wk_rt_data_drop, void, (struct VMContext *vmctx, uint32_t data))                         \
    X(wk_rt_memory_copy, void, (struct VMContext *vmctx, uint32_t dst_mem, uint32_t src_mem,   \
                                uint32_t dst, uint32_t src, uint32_t n))                      \
    X(wk_rt_memory_fill, void, (struct VMContext *vmctx, uint32_t mem, uint32_t dst,           \
                                uint32_t val, uint32_t n))                                    \
    X(wk_rt_table_get, void *, (struct VMContext *vmctx, uint32_t table, uint32_t i))          \
    X(wk_rt_table_set, void, (struct VMContext *vmctx, uint32_t table, uint32_t i, void *v))   \
    X(wk_rt_table_grow, uint32_t, (struct VMContext *vmctx, uint32_t table, void *init,        \
                                   uint32_t delta))                                            \
    X(wk_rt_table_fill, void, (struct VMContext *vmctx, uint32_t table, uint32_t i, void *v,   \
                               uint32_t n))                                                    \
    X(wk_rt_table_copy, void, (struct VMContext *vmctx, uint32_t dst_table,                    \
                               uint32_t src_table, uint32_t dst, uint32_t src, uint32_t n))   \
    X(wk_rt_table_init, void, (struct VMContext *vmctx, uint32_t table, uint32_t elem,         \
                               uint32_t dst, uint32_t src, uint32_t n))                       \
    X(wk_rt_elem_drop, void, (struct VMContext *vmctx, uint32_t elem))                         \
    X(wk_rt_host_call, void, (struct VMContext *host_ctx, WasmVal *vals))                     \
    X(wk_rt_hot, void, (struct VMContext *vmctx, uint32_t defined_index))

#define WK_RT_DECLARE(name, ret, params) ret name params;
WK_RT_HELPERS(WK_RT_DECLARE)
#undef WK_RT_DECLARE

#endif
