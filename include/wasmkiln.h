/* wasmkiln: a WebAssembly 2.0 runtime that compiles every function to native code with LLVM.
 * The one public header. Conventions (as in wasm.h): `own` marks a transfer of ownership,
 * `_new` returns an owned object, `_delete` accepts NULL, `const T *` is borrowed, and an out
 * parameter receives ownership. Input bytes are always copied, never retained. */
#ifndef WASMKILN_H
#define WASMKILN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(WK_BUILDING_LIBRARY)
#define WK_API __attribute__((visibility("default")))
#else
#define WK_API
#endif

#define own

/* ---- Names and values ------------------------------------------------------------------- */

/* A byte string that may contain NUL; not NUL-terminated. */
typedef struct wk_name {
    size_t size;
    const char *data;
} wk_name_t;

/* Value types, numbered as in the binary format. */
typedef uint8_t wk_valkind_t;
enum {
    WK_I32 = 0x7F,
    WK_I64 = 0x7E,
    WK_F32 = 0x7D,
    WK_F64 = 0x7C,
    WK_V128 = 0x7B,
    WK_FUNCREF = 0x70,
    WK_EXTERNREF = 0x6F,
};

typedef struct wk_func wk_func_t;
typedef struct wk_memory wk_memory_t;
typedef struct wk_table wk_table_t;
typedef struct wk_global wk_global_t;

/* The bits of a value without its kind (16 bytes). Floats are stored by bit pattern (NaN
 * payloads are preserved). A funcref is a store-owned function or NULL; an externref is any
 * host pointer, NULL being ref.null. */
typedef union wk_raw {
    int32_t i32;
    int64_t i64;
    uint32_t f32_bits;
    uint64_t f64_bits;
    uint8_t v128[16];
    wk_func_t *funcref;
    void *externref;
} wk_raw_t;

/* A value: its kind and bits. */
typedef struct wk_val {
    wk_valkind_t kind;
    wk_raw_t of;
} wk_val_t;

/* Value constructors; floats by value (bit pattern of the C float). */
WK_API wk_val_t wk_val_i32(int32_t v);
WK_API wk_val_t wk_val_i64(int64_t v);
WK_API wk_val_t wk_val_f32(float v);
WK_API wk_val_t wk_val_f64(double v);
WK_API float wk_val_as_f32(const wk_val_t *v);
WK_API double wk_val_as_f64(const wk_val_t *v);

/* ---- Types --------------------------------------------------------------------------------- */

typedef uint8_t wk_externkind_t;
enum { WK_EXTERN_FUNC = 0, WK_EXTERN_TABLE = 1, WK_EXTERN_MEMORY = 2, WK_EXTERN_GLOBAL = 3 };

/* Borrowed arrays, valid as long as the object they came from. */
typedef struct wk_functype {
    size_t nparams;
    const wk_valkind_t *params;
    size_t nresults;
    const wk_valkind_t *results;
} wk_functype_t;

typedef struct wk_limits {
    uint32_t min;
    uint32_t max;
    bool has_max;
} wk_limits_t;

typedef struct wk_tabletype {
    wk_valkind_t elem; /* WK_FUNCREF or WK_EXTERNREF */
    wk_limits_t limits;
} wk_tabletype_t;

typedef struct wk_globaltype {
    wk_valkind_t kind;
    bool mutable_;
} wk_globaltype_t;

typedef struct wk_externtype {
    wk_externkind_t kind;
    union {
        wk_functype_t func;
        wk_tabletype_t table;
        wk_limits_t memory; /* in 64 KiB pages */
        wk_globaltype_t global;
    } of;
} wk_externtype_t;

/* ---- Errors (decode, validate, link, compile) --------------------------------------------- */

typedef struct wk_error wk_error_t;

typedef uint8_t wk_error_kind_t;
enum {
    WK_ERROR_MALFORMED = 1,   /* the bytes are not a well-formed binary module */
    WK_ERROR_INVALID = 2,     /* well-formed but fails validation */
    WK_ERROR_LINK = 3,        /* imports do not match: "unknown import", "incompatible ..." */
    WK_ERROR_RESOURCE = 4,    /* out of memory or address space, LLVM resource errors */
    WK_ERROR_UNSUPPORTED = 5, /* a feature this build cannot run yet */
    WK_ERROR_USAGE = 6,       /* bad argument from the embedder (wrong type, immutable, ...) */
};

WK_API void wk_error_delete(own wk_error_t *err);
WK_API wk_error_kind_t wk_error_kind(const wk_error_t *err);
/* The message in the spec suite's wording, e.g. "unexpected end" or "type mismatch". */
WK_API const char *wk_error_message(const wk_error_t *err);
/* Byte offset in the module where the error was found, or SIZE_MAX when it has none. */
WK_API size_t wk_error_offset(const wk_error_t *err);
/* "<message> (at byte 0x1a)" or the bare message; valid as long as the error. */
WK_API const char *wk_error_describe(const wk_error_t *err);

/* ---- Traps (running) ---------------------------------------------------------------------- */

typedef struct wk_trap wk_trap_t;

typedef uint8_t wk_trap_kind_t;
enum {
    WK_TRAP_UNREACHABLE = 1,           /* "unreachable" */
    WK_TRAP_INT_DIV_ZERO,              /* "integer divide by zero" */
    WK_TRAP_INT_OVERFLOW,              /* "integer overflow" */
    WK_TRAP_INVALID_CONVERSION,        /* "invalid conversion to integer" */
    WK_TRAP_MEMORY_OOB,                /* "out of bounds memory access" */
    WK_TRAP_TABLE_OOB,                 /* "out of bounds table access" */
    WK_TRAP_UNDEFINED_ELEMENT,         /* "undefined element" */
    WK_TRAP_UNINITIALIZED_ELEMENT,     /* "uninitialized element" */
    WK_TRAP_INDIRECT_CALL_TYPE,        /* "indirect call type mismatch" */
    WK_TRAP_STACK_EXHAUSTED,           /* "call stack exhausted" */
    WK_TRAP_HOST,                      /* raised by a host function */
    WK_TRAP_INTERRUPTED,               /* "interrupted": wk_store_interrupt or a deadline */
    WK_TRAP_OUT_OF_FUEL,               /* "out of fuel": the instance's fuel ran out */
    WK_TRAP_EXIT,                      /* "exit": WASI proc_exit ended the guest run */
};

/* A host trap with a message (copied) and an optional payload owned by the trap. */
WK_API own wk_trap_t *wk_trap_new(const char *message, void *data, void (*finalizer)(void *));
WK_API void wk_trap_delete(own wk_trap_t *trap);
WK_API wk_trap_kind_t wk_trap_kind(const wk_trap_t *trap);
WK_API const char *wk_trap_message(const wk_trap_t *trap);
/* The identifier of a trap kind: "unreachable", "integer_divide_by_zero", "integer_overflow",
 * "invalid_conversion", "memory_out_of_bounds", "table_out_of_bounds", "undefined_element",
 * "uninitialized_element", "indirect_call_type_mismatch", "call_stack_exhausted", "host",
 * "interrupted", "out_of_fuel", "exit" ("unknown" for any other number). Static storage. */
WK_API const char *wk_trap_kind_name(wk_trap_kind_t kind);

/* One Wasm frame a trap passed, innermost first. Names are borrowed from the trap. */
typedef struct wk_frame {
    wk_name_t module_name; /* the module name of the `name` section; empty when none */
    uint32_t func_index;   /* in the module's function index space (imports first) */
    wk_name_t func_name;   /* from the `name` section, demangled (Rust, C++), else the first
                              export name of the function; empty when neither */
    size_t module_offset;  /* byte offset in the module of the function's code entry */
} wk_frame_t;

/* The Wasm frames the trap unwound: every trap raised in or passing through Wasm code,
 * including a host function's trap (with the frames of each Wasm activation it crossed, the
 * innermost first). At most 256 frames per activation are recorded; wk_trap_frames_omitted
 * counts the rest. A function that LLVM inlined into its caller (small functions at O2) is
 * not a frame of its own: the caller's frame stands for both. */
WK_API size_t wk_trap_frame_count(const wk_trap_t *trap);
WK_API const wk_frame_t *wk_trap_frame(const wk_trap_t *trap, size_t i);
WK_API size_t wk_trap_frames_omitted(const wk_trap_t *trap);
/* The message followed by the frames, as wasmtime prints them, valid as long as the trap:
 *   integer divide by zero
 *   wasm backtrace:
 *       0:   0x2a - traps!div
 *       1:   0x31 - traps!<wasm function 3>
 * (the hex number is the function's module offset; "<unknown>" when the module has no name);
 * the bare message when there are no frames. */
WK_API const char *wk_trap_describe(wk_trap_t *trap);
/* The payload given to wk_trap_new, or NULL. wk_trap_take_data also clears it (no finalizer). */
WK_API void *wk_trap_data(const wk_trap_t *trap);
WK_API void *wk_trap_take_data(wk_trap_t *trap);
/* True for a WK_TRAP_EXIT trap (WASI proc_exit(code) ended the run), with the code in *code. */
WK_API bool wk_trap_exit_code(const wk_trap_t *trap, uint32_t *code);

/* ---- Engine and modules ------------------------------------------------------------------- */

typedef struct wk_engine wk_engine_t;
typedef struct wk_module wk_module_t;

/* How an engine compiles modules. */
typedef uint8_t wk_strategy_t;
enum {
    WK_STRATEGY_O2 = 0,     /* LLVM O2 before wk_module_new returns: fastest code, slow start */
    WK_STRATEGY_FAST = 1,   /* a fast tier only (short pass list, FastISel): ~6x faster to
                               compile, slower code */
    WK_STRATEGY_TIERED = 2, /* the fast tier first (or O2 when loaded or in the cache), O2 in a
                               background thread, then switched in for the module and all its
                               instances (exports, tables, imports, host calls; a call already
                               running finishes in the fast tier); small modules compile at O2
                               directly. The job keeps the module alive; it is cancelled when
                               nothing else holds the module and by wk_engine_delete (which
                               waits for it). In a child forked while a job ran, the module
                               stays in the fast tier. */
    WK_STRATEGY_LAZY = 3,   /* nothing compiled before a function's first call: each function
                               is compiled alone on its first call (fast tier, or O2 from the
                               cache), and O2 in a background thread once it is hot (calls and
                               loop iterations), then switched in (a call already running
                               finishes in its old code). wk_module_new validates everything.
                               Hosts without lazy stubs (not x86-64 Linux) compile as TIERED. */
};

/* Engine configuration, as wasm_config_t in wasm.h: the library reads no environment variable.
 * wk_engine_options_default fills in the defaults (WK_STRATEGY_LAZY, no cache, guard pages
 * where possible, everything else 0); the Python package and the command-line tools take their
 * defaults from the environment (see the README). */
typedef struct wk_engine_options {
    wk_strategy_t strategy;
    /* Directory of the on-disk object cache (must exist; copied), or NULL for none. Compiled
     * code is written there keyed by the Wasm bytes, this build and the CPU, and loaded from
     * there on the next compile of the same bytes. Never evicted. */
    const char *cache_dir;
    /* Bound of the cache directory in bytes: the least recently used entries are removed past
     * it (0: the default, 512 MiB). */
    uint64_t cache_max_bytes;
    /* Forces software bounds checks even where guard pages are possible. */
    bool software_bounds;
    /* WK_STRATEGY_TIERED: modules with fewer bytes of function bodies compile at O2 at once;
     * 0 means the default, 64 KiB. */
    uint32_t tiered_min_bytes;
    /* Debugging: verifies the LLVM IR of every compiled module (invalid IR: WK_ERROR_RESOURCE). */
    bool verify_ir;
    /* Compiles fuel metering into every module: each instance then has a budget of executed
     * operations (wk_instance_set_fuel; unlimited until set), and a call that uses it up
     * returns WK_TRAP_OUT_OF_FUEL. Costs speed (see bench/); off by default. */
    bool fuel;
} wk_engine_options_t;

/* Writes the default options into *opts. */
WK_API void wk_engine_options_default(wk_engine_options_t *opts);

/* An engine owns the compiler (LLVM, worker threads). Thread-safe. Stores and modules keep
 * their engine alive: wk_engine_delete may come before theirs. wk_engine_new uses the default
 * options; it returns NULL only when out of memory or LLVM cannot start. wk_engine_new_with
 * takes explicit options and reports why it failed. */
WK_API own wk_engine_t *wk_engine_new(void);
WK_API own wk_error_t *wk_engine_new_with(const wk_engine_options_t *opts,
                                         own wk_engine_t **out);
/* Also cancels the tiered strategy's background compiles and waits for them to stop: delete
 * engines before the process exits. */
WK_API void wk_engine_delete(own wk_engine_t *engine);
/* The engine's strategy and cache directory (NULL when none; borrowed). */
WK_API wk_strategy_t wk_engine_strategy(const wk_engine_t *engine);
WK_API const char *wk_engine_cache_dir(const wk_engine_t *engine);
/* True when this engine checks memory accesses in software because the 8 GiB address-space
 * reservation per memory (guard pages) was not possible here, or software bounds were asked
 * for (options.software_bounds). Slower, same semantics. */
WK_API bool wk_engine_software_bounds(const wk_engine_t *engine);
/* True when the engine compiles fuel metering (options.fuel). */
WK_API bool wk_engine_fuel(const wk_engine_t *engine);

/* The WebAssembly text format (spec chapter 6) to a binary module: `text` holds `(module ...)`
 * or bare module fields (size bytes, need not be NUL-terminated). On success *out receives
 * the malloc'ed bytes and *out_size their count (free them with wk_wasm_delete); on failure
 * a WK_ERROR_MALFORMED error worded as the spec suite's ("unexpected token", "unknown
 * operator", ...) whose message ends with "(at LINE:COLUMN)" (its offset is SIZE_MAX). The
 * result is well-formed but not validated. */
WK_API own wk_error_t *wk_wat2wasm(const char *text, size_t size, own uint8_t **out,
                                   size_t *out_size);
/* Frees the bytes made by wk_wat2wasm. Accepts NULL. */
WK_API void wk_wasm_delete(own uint8_t *bytes);

/* Decodes and validates; NULL when the module is valid. Never reads past bytes + size. */
WK_API own wk_error_t *wk_module_validate(const uint8_t *bytes, size_t size);

/* Decodes, validates and compiles. On success *out receives the module. A module is
 * reference-counted internally: deleting it while instances live is allowed. */
WK_API own wk_error_t *wk_module_new(wk_engine_t *engine, const uint8_t *bytes, size_t size,
                                     own wk_module_t **out);
WK_API void wk_module_delete(own wk_module_t *module);
/* Tiered strategy: blocks until the module's background O2 compile has ended; true when the
 * module (and all its instances) now run O2 code. Returns at once otherwise: true for the O2
 * strategy (and tiered modules compiled at O2 directly), false for the fast strategy. */
WK_API bool wk_module_wait_optimized(wk_module_t *module);
/* Serialized modules (ahead-of-time compilation): wk_module_serialize writes the module's
 * Wasm bytes and machine code into *out (malloc'ed; release with wk_bytes_delete) and *size;
 * wk_module_deserialize makes a module of engine from such bytes without compiling. It fails
 * with WK_ERROR_MALFORMED for bytes that are not a serialized module (or truncated) and
 * WK_ERROR_UNSUPPORTED, saying which, for bytes made by another build of wasmkiln, another
 * LLVM, for another CPU or with the other kind of bounds checks. */
WK_API own wk_error_t *wk_module_serialize(const wk_module_t *module, own uint8_t **out,
                                           size_t *size);
WK_API own wk_error_t *wk_module_deserialize(wk_engine_t *engine, const uint8_t *bytes,
                                             size_t size, own wk_module_t **out);
WK_API void wk_bytes_delete(own uint8_t *bytes);

/* The contents of the module's custom sections called `name` (length-prefixed), in module
 * order: writes up to max of them into out (borrowed from the module) and returns how many
 * there are. */
WK_API size_t wk_module_custom_sections(const wk_module_t *module, const char *name,
                                        size_t len, wk_name_t *out, size_t max);

/* The engine that compiled module (borrowed: alive as long as the module). */
WK_API wk_engine_t *wk_module_engine(const wk_module_t *module);

/* Imports and exports in declaration order. Names and types are borrowed from the module. */
WK_API size_t wk_module_import_count(const wk_module_t *module);
WK_API void wk_module_import(const wk_module_t *module, size_t i, wk_name_t *module_name,
                             wk_name_t *name, wk_externtype_t *type);
WK_API size_t wk_module_export_count(const wk_module_t *module);
WK_API void wk_module_export(const wk_module_t *module, size_t i, wk_name_t *name,
                             wk_externtype_t *type);

/* ---- Stores and runtime objects ----------------------------------------------------------- */

/* A store owns every instance, function, memory, table and global created in it; all are
 * freed together by wk_store_delete. Objects of different stores never mix. One thread at a
 * time may use a store. */
typedef struct wk_store wk_store_t;
typedef struct wk_instance wk_instance_t;

WK_API own wk_store_t *wk_store_new(wk_engine_t *engine);
WK_API void wk_store_delete(own wk_store_t *store);
/* Moves every object of `from` (instances, functions, memories, tables, globals) into `into`,
 * so that objects created in either can be linked together; `from` stays valid and empty (it
 * still needs wk_store_delete) and the objects now live as long as `into`. Both stores must
 * have the same engine and `from` must not be running Wasm code (WK_ERROR_USAGE otherwise). */
WK_API own wk_error_t *wk_store_merge(wk_store_t *into, wk_store_t *from);
/* Calls visit(ref, env) for every non-null externref the store's tables and globals hold:
 * while no Wasm code of the store runs, these are all the host pointers Wasm can still reach,
 * so an embedder may release any other it handed in. */
WK_API void wk_store_externrefs(const wk_store_t *store, void (*visit)(void *ref, void *env),
                                void *env);

/* Resource limits of a store. memory_bytes and table_elements bound each memory and table
 * created in the store from then on (by an instance or wk_memory_new/wk_table_new): memory.grow
 * and table.grow (and wk_memory_grow/wk_table_grow) fail past them (-1 in Wasm), and creating
 * one whose minimum is larger fails with WK_ERROR_RESOURCE ("memory minimum ... exceeds the
 * store's limit"). stack_bytes is the native stack Wasm may use per call from the host
 * (host functions calling back into Wasm included), always leaving a reserve of the thread's
 * stack for host code; deeper recursion traps "call stack exhausted". 0 means no limit for the
 * first two and the default (1 MiB) for stack_bytes; WK_STACK_WHOLE_THREAD lets Wasm use the
 * thread's whole stack but the reserve. */
#define WK_STACK_WHOLE_THREAD SIZE_MAX
typedef struct wk_store_limits {
    uint64_t memory_bytes;
    uint32_t table_elements;
    size_t stack_bytes;
} wk_store_limits_t;
WK_API void wk_store_set_limits(wk_store_t *store, const wk_store_limits_t *limits);
WK_API wk_store_limits_t wk_store_limits(const wk_store_t *store);

/* Interrupts the call running in store now (the outermost one and all it called, on whichever
 * thread): it returns a WK_TRAP_INTERRUPTED trap at its next function entry or loop header
 * (generated code checks there; a host function is not interrupted, its Wasm caller is when it
 * returns). A no-op when no call runs: a later call is not affected. Thread-safe and
 * async-signal-safe (atomic stores only): may be called from a signal handler. The store and
 * its instances stay usable. */
WK_API void wk_store_interrupt(wk_store_t *store);
/* Sets the store's deadline to `timeout_ns` nanoseconds from now (0 clears it): once it has
 * passed, every call running in the store, or started later, returns WK_TRAP_INTERRUPTED, until
 * the deadline is set again or cleared. A watchdog thread (started on first use) acts on
 * deadlines; in a child forked from a process with a running watchdog, deadlines act again
 * once one is set in the child. Thread-safe. */
WK_API void wk_store_set_deadline(wk_store_t *store, uint64_t timeout_ns);

/* A reference to a store-owned object (borrowed). */
typedef struct wk_extern {
    wk_externkind_t kind;
    union {
        wk_func_t *func;
        wk_table_t *table;
        wk_memory_t *memory;
        wk_global_t *global;
    } of;
} wk_extern_t;

/* What a host function sees of its caller: the calling instance's exports (may be NULL). */
typedef struct wk_caller wk_caller_t;
WK_API bool wk_caller_export(const wk_caller_t *caller, const char *name, size_t len,
                             wk_extern_t *out);
/* The calling instance (its exports: wk_instance_export_count ...), or NULL when the host
 * function was called from the host (wk_func_call) rather than from Wasm. Borrowed. */
WK_API wk_instance_t *wk_caller_instance(const wk_caller_t *caller);

/* A host function: reads args, writes results (both in the type's order and kinds); returns
 * NULL or a trap (owned by the runtime afterwards), which unwinds the Wasm frames above it. */
typedef own wk_trap_t *(*wk_host_callback_t)(void *env, const wk_caller_t *caller,
                                             const wk_val_t *args, wk_val_t *results);

/* A host function of the given type (copied). finalizer(env) runs when the store dies. */
WK_API wk_func_t *wk_func_new(wk_store_t *store, const wk_functype_t *type,
                              wk_host_callback_t callback, void *env, void (*finalizer)(void *));
WK_API wk_functype_t wk_func_type(const wk_func_t *func);
/* A Wasm function's name: from its module's `name` section, else its first export name; empty
 * for a nameless or host function. Borrowed (valid as long as func); not NUL-terminated. */
WK_API wk_name_t wk_func_name(const wk_func_t *func);
/* True when every call of func returns in a short, bounded time without calling out: a Wasm
 * function whose body has no loop, call, call_indirect, memory.grow/fill/copy/init or
 * table.grow/fill/copy/init. False for host functions and when unknown. Embedders may skip
 * releasing their own locks (such as Python's GIL) around calls of such functions. */
WK_API bool wk_func_bounded(const wk_func_t *func);

/* Calls func. args and results are arrays of the type's lengths and kinds (checked: a wrong
 * kind is a WK_TRAP_HOST trap with a message). Returns NULL or an owned trap. Re-entrant: a
 * host function may call back into Wasm. */
WK_API own wk_trap_t *wk_func_call(wk_func_t *func, const wk_val_t *args, size_t nargs,
                                   wk_val_t *results, size_t nresults);

/* Calls func without any checks, for callers that already hold the arguments in the right
 * kinds (the fastest way in). vals has max(nparams, nresults) slots: vals[0..nparams) are the
 * arguments, in the type's order and kinds; after a call that returns NULL, vals[0..nresults)
 * are the results. Returns NULL or an owned trap. Re-entrant like wk_func_call. */
WK_API own wk_trap_t *wk_func_call_raw(wk_func_t *func, wk_raw_t *vals);

/* Memories. The base address never moves: data pointers stay valid across grow. */
WK_API own wk_error_t *wk_memory_new(wk_store_t *store, const wk_limits_t *limits,
                                     wk_memory_t **out);
WK_API uint8_t *wk_memory_data(const wk_memory_t *mem);
WK_API size_t wk_memory_data_size(const wk_memory_t *mem);   /* bytes */
WK_API uint32_t wk_memory_size(const wk_memory_t *mem);      /* pages */
WK_API wk_limits_t wk_memory_type(const wk_memory_t *mem);
/* Grows by delta pages; false (and no change) when over the maximum or out of memory. */
WK_API bool wk_memory_grow(wk_memory_t *mem, uint32_t delta, uint32_t *prev_pages);

/* Globals. */
WK_API own wk_error_t *wk_global_new(wk_store_t *store, const wk_globaltype_t *type,
                                     wk_val_t init, wk_global_t **out);
WK_API wk_globaltype_t wk_global_type(const wk_global_t *global);
WK_API wk_val_t wk_global_get(const wk_global_t *global);
/* Fails (WK_ERROR_USAGE) for an immutable global or a value of the wrong kind. */
WK_API own wk_error_t *wk_global_set(wk_global_t *global, wk_val_t value);

/* Tables. Element values are funcref (a wk_func_t of this store, or NULL) or externref. */
WK_API own wk_error_t *wk_table_new(wk_store_t *store, const wk_tabletype_t *type, wk_val_t init,
                                    wk_table_t **out);
WK_API wk_tabletype_t wk_table_type(const wk_table_t *table);
WK_API uint32_t wk_table_size(const wk_table_t *table);
WK_API bool wk_table_get(const wk_table_t *table, uint32_t index, wk_val_t *out);
WK_API bool wk_table_set(wk_table_t *table, uint32_t index, wk_val_t value);
WK_API bool wk_table_grow(wk_table_t *table, uint32_t delta, wk_val_t init, uint32_t *prev_size);

/* ---- Instances ---------------------------------------------------------------------------- */

/* Instantiates module in store. imports has one entry per module import, in import order.
 * Link failures return an error (WK_ERROR_LINK) naming the import and the types: "unknown
 * import: 1 imports given, the module has 2 (the first missing is "env"."g")", "incompatible
 * import type for "env"."f": expected func (i32) -> (i32), found func () -> ()".
 * A trap while initialising segments or running the start function sets *trap and returns
 * NULL error with *out NULL. On success *out is a store-owned instance. A module and a store
 * of different engines fail with WK_ERROR_USAGE. */
WK_API own wk_error_t *wk_instance_new(wk_store_t *store, const wk_module_t *module,
                                       const wk_extern_t *imports, size_t nimports,
                                       wk_instance_t **out, own wk_trap_t **trap);
WK_API size_t wk_instance_export_count(const wk_instance_t *inst);
WK_API wk_name_t wk_instance_export_name(const wk_instance_t *inst, size_t i);
WK_API wk_extern_t wk_instance_export(const wk_instance_t *inst, size_t i);
/* Fuel (an engine with options.fuel): the operations inst may still execute. Every Wasm
 * instruction costs one unit, charged per straight-line run of code and checked at function
 * entries and loop headers (so a call may overrun by one such run). Setting fuel after an
 * out-of-fuel trap lets the instance run again. wk_instance_set_fuel fails (WK_ERROR_USAGE)
 * when the module was compiled without metering; wk_instance_fuel then returns UINT64_MAX. */
WK_API own wk_error_t *wk_instance_set_fuel(wk_instance_t *inst, uint64_t fuel);
WK_API uint64_t wk_instance_fuel(const wk_instance_t *inst);
/* Interrupts the call running in inst's store (see wk_store_interrupt); async-signal-safe. */
WK_API void wk_instance_interrupt(wk_instance_t *inst);
/* Looks an export up by name (length-prefixed: may contain NUL). */
WK_API bool wk_instance_export_get(const wk_instance_t *inst, const char *name, size_t len,
                                   wk_extern_t *out);

/* ---- WASI preview 1 ----------------------------------------------------------------------- */

/* A WASI configuration: arguments, environment, preopened directories and the three standard
 * streams. It is copied by wk_wasi_new: one configuration may serve many contexts. */
typedef struct wk_wasi_config wk_wasi_config_t;
/* A WASI context (the guest's file descriptors, arguments, captured output) bound to one
 * store: store-owned, freed with the store. */
typedef struct wk_wasi wk_wasi_t;

/* How a standard stream is connected. */
typedef uint8_t wk_wasi_stdio_t;
enum {
    WK_WASI_STDIO_INHERIT = 0, /* the host process's own fd 0, 1 or 2 (the default) */
    WK_WASI_STDIO_FD = 1,      /* a host file descriptor (duplicated by wk_wasi_new) */
    WK_WASI_STDIO_BUFFER = 2,  /* stdin: bytes given to wk_wasi_config_stdin_bytes;
                                  stdout/stderr: captured, see wk_wasi_output */
    WK_WASI_STDIO_CALLBACK = 3, /* stdout/stderr: each write handed to a callback */
};

/* Receives what the guest writes to stdout or stderr; false makes the write fail (EIO). */
typedef bool (*wk_wasi_write_t)(void *env, const uint8_t *data, size_t size);

WK_API own wk_wasi_config_t *wk_wasi_config_new(void);
WK_API void wk_wasi_config_delete(own wk_wasi_config_t *config);
/* Replaces the arguments (argv[0] is the program name by convention); strings copied.
 * false when out of memory. */
WK_API bool wk_wasi_config_argv(wk_wasi_config_t *config, size_t argc,
                                const char *const *argv);
/* Appends the environment variable key=value (copied); false when out of memory. */
WK_API bool wk_wasi_config_env(wk_wasi_config_t *config, const char *key, const char *value);
/* Preopens host_dir as guest_path (both copied): the guest reaches it and only what lies
 * beneath it (paths are resolved one component at a time from the directory's descriptor;
 * `..`, absolute paths and symlinks leading out are refused with ERRNO_PERM). readonly
 * refuses every change beneath it (ERRNO_PERM). The directory is opened by wk_wasi_new. */
WK_API bool wk_wasi_config_preopen(wk_wasi_config_t *config, const char *host_dir,
                                   const char *guest_path, bool readonly);
/* Connects guest fd 0, 1 or 2: WK_WASI_STDIO_INHERIT, WK_WASI_STDIO_FD with host_fd (still
 * owned by the caller) or WK_WASI_STDIO_BUFFER (host_fd unused). */
WK_API void wk_wasi_config_stdio(wk_wasi_config_t *config, int guest_fd, wk_wasi_stdio_t how,
                                 int host_fd);
/* Sends guest fd 1 or 2 to write(env, ...) (sets WK_WASI_STDIO_CALLBACK). env is borrowed: it
 * must outlive every context made from this configuration. */
WK_API void wk_wasi_config_output(wk_wasi_config_t *config, int guest_fd, wk_wasi_write_t write,
                                  void *env);
/* Makes stdin read from a copy of data (sets WK_WASI_STDIO_BUFFER); false when out of
 * memory. */
WK_API bool wk_wasi_config_stdin_bytes(wk_wasi_config_t *config, const uint8_t *data,
                                       size_t size);

/* A WASI context in store from config: opens the preopened directories and creates the
 * wasi_snapshot_preview1 functions in store. Errors: WK_ERROR_USAGE (a preopen that is not
 * an openable directory, a bad stdio fd) or WK_ERROR_RESOURCE. */
WK_API own wk_error_t *wk_wasi_new(wk_store_t *store, const wk_wasi_config_t *config,
                                   wk_wasi_t **out);
/* Fills imports[i] for every import of module from "wasi_snapshot_preview1" (the others are
 * left as they are: the caller supplies them). imports has wk_module_import_count entries.
 * Errors: WK_ERROR_LINK ("unknown import" for a name WASI does not have, "incompatible import
 * type" for a wrong signature). */
WK_API own wk_error_t *wk_wasi_imports(const wk_wasi_t *wasi, const wk_module_t *module,
                                       wk_extern_t *imports);
/* Runs the command instance's `_start` export. Returns NULL with *exit_code set (0 when
 * _start returned, n for proc_exit(n)), or the owned trap that ended it (a missing or
 * mistyped _start is a WK_TRAP_HOST trap saying so). */
WK_API own wk_trap_t *wk_wasi_run(wk_wasi_t *wasi, wk_instance_t *instance,
                                  uint32_t *exit_code);
/* What the guest wrote to fd 1 or 2 when that stream is WK_WASI_STDIO_BUFFER (NULL and size
 * 0 otherwise); borrowed, valid until the next guest write or the store's end. */
WK_API const uint8_t *wk_wasi_output(const wk_wasi_t *wasi, int guest_fd, size_t *size);
/* True once the guest called proc_exit: its instance must not run again. */
WK_API bool wk_wasi_exited(const wk_wasi_t *wasi, uint32_t *exit_code);

/* ---- Host info ---------------------------------------------------------------------------- */

/* Every function, memory, table, global and instance carries one embedder pointer, NULL at
 * first. Setting it runs the previous pointer's finalizer (when it has one); the last one's
 * finalizer runs when the object dies with its store: each finalizer runs exactly once. */
WK_API void wk_extern_set_host_info(const wk_extern_t *ext, void *info,
                                    void (*finalizer)(void *));
WK_API void *wk_extern_host_info(const wk_extern_t *ext);
WK_API void wk_instance_set_host_info(wk_instance_t *inst, void *info,
                                      void (*finalizer)(void *));
WK_API void *wk_instance_host_info(const wk_instance_t *inst);

/* ---- Linkers ------------------------------------------------------------------------------ */

/* Externs defined under (module, name), from which wk_linker_instantiate resolves a module's
 * imports by name (as wasmtime's Linker). A linker borrows the externs: they live in their
 * stores. Not thread-safe. */
typedef struct wk_linker wk_linker_t;

WK_API own wk_linker_t *wk_linker_new(void);
WK_API void wk_linker_delete(own wk_linker_t *linker);
/* Defines module.name (length-prefixed) as ext; a later definition replaces an earlier one.
 * Fails only when out of memory. */
WK_API own wk_error_t *wk_linker_define(wk_linker_t *linker, const char *module, size_t mlen,
                                        const char *name, size_t nlen, wk_extern_t ext);
/* Defines every export of inst under module. */
WK_API own wk_error_t *wk_linker_define_instance(wk_linker_t *linker, const char *module,
                                                 size_t mlen, const wk_instance_t *inst);
/* wk_instance_new with the imports of module looked up by name. A missing one is a link error
 * naming it and its type ("unknown import "env"."f": nothing defines this func (i32) ->
 * (i32)"); a mismatched one names both types (see wk_instance_new). */
WK_API own wk_error_t *wk_linker_instantiate(const wk_linker_t *linker, wk_store_t *store,
                                             const wk_module_t *module, wk_instance_t **out,
                                             own wk_trap_t **trap);

#ifdef __cplusplus
}
#endif
#endif
