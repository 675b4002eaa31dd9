/* Shared declarations of the CPython extension `wasmkiln._wasmkiln`: the module state, the
 * object layouts and the helpers the py_*.c files call across files. A client of wasmkiln.h
 * only. */
#ifndef WK_PY_INTERNAL_H
#define WK_PY_INTERNAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include "wasmkiln.h"

/* Module state: the engine, every heap type and every exception class. */
typedef struct {
    wk_engine_t *engine;  /* used by Stores and Modules created from now on */
    wk_engine_t **retired; /* engines replaced by configure(), deleted with the module */
    size_t nretired;
    PyTypeObject *store_type;
    PyTypeObject *module_type;
    PyTypeObject *instance_type;
    PyTypeObject *exports_type;
    PyTypeObject *func_type;
    PyTypeObject *caller_type;
    PyTypeObject *memory_type;
    PyTypeObject *global_type;
    PyTypeObject *table_type;
    PyTypeObject *value_type;
    PyTypeObject *view_types[10];
    PyTypeObject *functype_type;
    PyTypeObject *memorytype_type;
    PyTypeObject *tabletype_type;
    PyTypeObject *globaltype_type;
    PyTypeObject *importtype_type;
    PyTypeObject *exporttype_type;
    PyTypeObject *frame_type; /* right after the other types: py_types_init fills them in order */
    PyTypeObject *wasi_config_type;
    PyTypeObject *wasi_type;
    PyObject *exit;
    PyObject *error;
    PyObject *compile_error;
    PyObject *decode_error;
    PyObject *validation_error;
    PyObject *link_error;
    PyObject *trap;
    PyObject *byte_ints[384]; /* the ints -128 .. 255, for fast byte view slices */
} WkState;

/* A wk_store_t shared by every Python object made from it; it dies with the last of them.
 * Linking objects of two stores merges them (py_store_join): the objects of one move into the
 * other, whose StoreObject becomes the `parent` (root) of the first; a StoreObject with a
 * parent only forwards to it (its own wk_store_t stays empty). Use py_store_root. */
typedef struct HostEnv HostEnv;
typedef struct StoreObject {
    PyObject_HEAD
    struct StoreObject *parent; /* strong reference to the store merged into, or NULL */
    wk_store_t *store;
    unsigned long owner; /* thread using the store now (0: none); only touched with the GIL */
    int depth;           /* re-entrant uses by the owner (host callbacks calling exports) */
    HostEnv **envs;      /* host functions' Python callables, visited by the GC */
    size_t nenvs, capenvs;
    PyObject *externs; /* {id: object} keeping alive the objects passed to Wasm as externref */
    Py_ssize_t sweep_at; /* externs size from which leaving the store sweeps them */
} StoreObject;

typedef struct {
    PyObject_HEAD
    wk_module_t *module;
    PyObject *weakrefs;
} ModuleObject;

typedef struct {
    PyObject_HEAD
    PyObject *store;   /* StoreObject */
    PyObject *module;  /* ModuleObject */
    PyObject *exports; /* ExportsObject */
    PyObject *memory;  /* MemoryObject or None */
    PyObject *wasi;    /* WasiObject or None */
    wk_instance_t *instance;
    PyObject *weakrefs;
} InstanceObject;

typedef struct {
    PyObject_HEAD
    PyObject *names; /* tuple of str, in export order */
    PyObject *dict;  /* name -> Function/Memory/Global/Table */
} ExportsObject;

enum { FUNC_INLINE_VALS = 16 };

typedef struct {
    PyObject_HEAD
    PyObject *store;
    wk_func_t *func;
    WkState *st;
    PyObject *name; /* str, used in error messages */
    size_t nparams, nresults;
    wk_valkind_t *params, *results; /* one allocation, nparams + nresults kinds */
    bool release_gil;               /* false for bounded functions (wk_func_bounded) */
    double timeout;                 /* seconds each call may run (0: no limit) */
    vectorcallfunc vectorcall;
    PyObject *weakrefs;
} FuncObject;

typedef struct {
    PyObject_HEAD
    PyObject *store;
    wk_memory_t *memory;
    PyObject *weakrefs;
} MemoryObject;

typedef struct {
    PyObject_HEAD
    PyObject *store;
    wk_global_t *global;
    PyObject *weakrefs;
} GlobalObject;

typedef struct {
    PyObject_HEAD
    PyObject *store;
    wk_table_t *table;
    PyObject *weakrefs;
} TableObject;

typedef struct {
    PyObject_HEAD
    wk_val_t val;
    PyObject *ref; /* funcref: the Function (or NULL); externref: the object (or NULL) */
} ValueObject;

/* py_module.c */
WkState *py_state_of_type(PyTypeObject *type);
WkState *py_state_of(PyObject *obj);

/* py_errors.c */
int py_errors_init(PyObject *mod, WkState *st);
/* Raises the exception for err (consumed) and returns NULL. */
PyObject *py_errors_raise(WkState *st, own wk_error_t *err);
/* Raises the exception for trap (consumed): the stashed Python exception of a host function,
 * or wasmkiln.Trap. Returns NULL. */
PyObject *py_errors_raise_trap(WkState *st, own wk_trap_t *trap);
/* Turns the current Python exception into a host trap that carries it (for host callbacks). */
own wk_trap_t *py_errors_stash_trap(void);
/* Raises wasmkiln.LinkError with a printf-style message; returns NULL. */
PyObject *py_errors_link(WkState *st, const char *fmt, ...);

/* py_value.c */
int py_value_init(PyObject *mod, WkState *st);
const char *py_valkind_name(wk_valkind_t kind);
/* The kind named by str name ('i32', ...); -1 with ValueError naming `what`. */
int py_valkind_parse(PyObject *name, const char *what, wk_valkind_t *out);
/* Where a converted value goes, for error messages: "sum() parameter 1", "f() result 0",
 * "Value.i32()" (what set, role NULL) or "value" (what NULL). */
typedef struct {
    PyObject *what;
    const char *role;
    Py_ssize_t index;
} ValueSite;

/* Converts obj to a value of kind, or raises TypeError/OverflowError and returns -1. Funcrefs
 * must come from store; externrefs are kept alive by store (store may be NULL for numbers). */
int py_value_from_py(WkState *st, StoreObject *store, PyObject *obj, wk_valkind_t kind,
                  const ValueSite *site, wk_val_t *out);
/* New reference to the Python object for v (int, float, Function, None, ...). */
PyObject *py_value_to_py(WkState *st, PyObject *store, const wk_val_t *v);

/* py_store.c */
int py_store_init(PyObject *mod, WkState *st);
/* New StoreObject with a fresh wk_store_t, or NULL with MemoryError. */
PyObject *py_store_new(WkState *st);
/* A new Store of `engine` (a module's engine, which may predate configure()). */
PyObject *py_store_new_in(WkState *st, wk_engine_t *engine);
/* Waits (GIL released) until no other thread uses the store. -1 with an exception when the
 * wait would never end (RuntimeError: the threads wait for each other's stores) or a signal
 * handler raised (Ctrl-C: KeyboardInterrupt). */
int py_store_wait(StoreObject *s, unsigned long me);

/* Makes the calling thread the store's user (waiting, GIL released, while another thread
 * uses it); re-entrant on one thread. Pair with py_store_leave when it returned 0; -1 with an
 * exception (see py_store_wait). Needs the GIL. */
static inline int py_store_enter(StoreObject *s);

/* The store objects of s now live in (s itself unless merged); borrowed. */
static inline StoreObject *py_store_root(StoreObject *s)
{
    while (s->parent) s = s->parent;
    return s;
}

/* The wk_store_t holding the objects of store object `obj` (a StoreObject). */
static inline wk_store_t *py_store_wk(PyObject *obj)
{
    return py_store_root((StoreObject *)obj)->store;
}

/* Merges the stores of a and b (if they differ) so that their objects can be linked; returns
 * the root both now share (borrowed), or NULL with LinkError (different engines, both
 * running Wasm code on this thread). */
StoreObject *py_store_join(WkState *st, StoreObject *a, StoreObject *b);

static inline int py_store_enter(StoreObject *s)
{
    unsigned long me = PyThread_get_thread_ident();
    /* While we wait (GIL released) the store may be merged into another: look again. */
    while ((s = py_store_root(s))->owner != 0 && s->owner != me)
        if (py_store_wait(s, me) < 0) return -1;
    s->owner = me;
    s->depth++;
    return 0;
}

/* Drops the externref objects that no table or global of the store holds any more (no Wasm
 * code of the store runs). Keeps the current exception. */
void py_store_sweep(StoreObject *s);

static inline void py_store_leave(StoreObject *s)
{
    s = py_store_root(s);
    assert(s->owner == PyThread_get_thread_ident() && s->depth > 0);
    if (--s->depth == 0) {
        s->owner = 0;
        if (s->externs && PyDict_GET_SIZE(s->externs) >= s->sweep_at) py_store_sweep(s);
    }
}
/* A host function in store calling `callable` with the given type; name (a str) is used in
 * messages. NULL with an exception. */
wk_func_t *py_store_host_func(StoreObject *s, const wk_functype_t *type, PyObject *callable,
                           PyObject *name, bool with_caller);
/* Keeps obj alive as long as the store (externref values); -1 on error. */
int py_store_keep(StoreObject *s, PyObject *obj);

/* py_types.c */
int py_types_init(PyObject *mod, WkState *st);
/* New reference describing an extern type (FunctionType, MemoryType, ...). */
PyObject *py_types_extern(WkState *st, const wk_externtype_t *type);
PyObject *py_types_func(WkState *st, const wk_functype_t *type);
/* A new struct sequence of type filled from n stolen references; NULL if any is NULL. */
PyObject *py_types_make(PyTypeObject *type, int n, PyObject **items);

/* py_wasm_module.c */
int py_wasm_module_init(PyObject *mod, WkState *st);
/* Compiles a bytes-like object into a new ModuleObject; NULL with CompileError etc. */
PyObject *py_wasm_module_compile(WkState *st, PyObject *bytes);
/* validate(bytes) -> bool, never raising for bad input (module function and staticmethod). */
PyObject *py_wasm_module_validate(PyObject *unused, PyObject *bytes);
/* wasmkiln.wat2wasm(text): the binary module of a text-format str. */
PyObject *py_wasm_module_wat2wasm(PyObject *mod, PyObject *text);

/* py_interrupt.c */
int py_interrupt_init(PyObject *mod, WkState *st);
/* Around a call of Wasm with the GIL released: on the main thread, makes SIGINT interrupt
 * `store` (installing the handler when needed) and returns the store it interrupted before,
 * which py_interrupt_end restores. No-ops on other threads. */
wk_store_t *py_interrupt_begin(wk_store_t *store);
void py_interrupt_end(wk_store_t *previous);

/* py_instance.c */
int py_instance_init(PyObject *mod, WkState *st);

/* py_wasi.c */
int py_wasi_init(PyObject *mod, WkState *st);
/* The WASI context for config (a WasiConfig) in store: fills externs[i] for the module's
 * wasi_snapshot_preview1 imports and returns a new Wasi object, or NULL with an exception. */
PyObject *py_wasi_link(WkState *st, PyObject *config, StoreObject *store, const wk_module_t *m,
                       wk_extern_t *externs);
/* Tells the Wasi object which instance its run() starts. */
void py_wasi_bind(PyObject *wasi, wk_instance_t *inst);
/* Flushes the Python file objects the configuration writes to (before a run). */
int py_wasi_flush(PyObject *wasi);

/* py_exports.c */
int py_exports_init(PyObject *mod, WkState *st);
/* New Exports object listing every export of inst (objects created in store). */
PyObject *py_exports_new(WkState *st, PyObject *store, wk_instance_t *inst);

/* New wrapper of an extern of store (Function, Memory, Global or Table). */
PyObject *py_extern_to_py(WkState *st, PyObject *store, const wk_extern_t *ext, PyObject *name);
/* If obj wraps an extern, fills *out, sets *store (borrowed) and returns 1; else 0. */
int py_extern_from_py(WkState *st, PyObject *obj, wk_extern_t *out, PyObject **store);

/* py_func.c */
int py_func_init(PyObject *mod, WkState *st);
PyObject *py_func_wrap(WkState *st, PyObject *store, wk_func_t *func, PyObject *name);

/* py_caller.c */
int py_caller_init(PyObject *mod, WkState *st);
/* A new Caller of a host function of store for the duration of one call. */
PyObject *py_caller_new(WkState *st, PyObject *store, const wk_caller_t *caller);
/* Ends a Caller's validity (its host function returned). */
void py_caller_expire(PyObject *caller);

/* py_memory.c */
int py_memory_init(PyObject *mod, WkState *st);
PyObject *py_memory_wrap(WkState *st, PyObject *store, wk_memory_t *mem);

/* py_view.c */
int py_view_init(PyObject *mod, WkState *st);
/* New typed view of the given element type index (0..9, see py_view.c) at byte offset. */
PyObject *py_view_new(WkState *st, PyObject *memory, int type_index, PyObject *offset);

/* py_global.c / py_table.c */
int py_global_init(PyObject *mod, WkState *st);
PyObject *py_global_wrap(WkState *st, PyObject *store, wk_global_t *global);
int py_table_init(PyObject *mod, WkState *st);
PyObject *py_table_wrap(WkState *st, PyObject *store, wk_table_t *table);

/* Objects whose one Python reference (their store, or a view's memory) is the first field
 * after the head share these GC slots: Memory, Global, Table, views. */
typedef struct {
    PyObject_HEAD
    PyObject *ref;
} HolderObject;
int py_holder_traverse(PyObject *op, visitproc visit, void *arg);
int py_holder_clear(PyObject *op);
void py_holder_dealloc(PyObject *op);
#define PY_HOLDER_LAYOUT(T, field)                                                             \
    _Static_assert(offsetof(T, field) == offsetof(HolderObject, ref), #T " is no holder")

/* The __weaklistoffset__ member of a type whose struct T has a `weakrefs` field. */
#define PY_WEAKREFS_MEMBER(T)                                                                  \
    {"__weaklistoffset__", T_PYSSIZET, offsetof(T, weakrefs), READONLY, NULL}

/* Adds a heap type made from spec (with base, may be NULL) to the module; NULL on error. */
PyTypeObject *py_add_type(PyObject *mod, PyType_Spec *spec, PyObject *base);

#endif
