/* Traps: the trap kinds with the spec's messages, the per-thread stack of host->Wasm entry
 * records that traps jump back to, the fault signal handler and the Wasm stack limit. */
#ifndef WK_TRAP_H
#define WK_TRAP_H

#include <stdbool.h>
#include <stdint.h>

#include "code.h"
#include "vmctx.h"
#include "wasmkiln.h"

/* kind, name (an identifier), message (spec wording). The enum values are wk_trap_kind_t (wasmkiln.h); compiled code
 * passes the same numbers to wk_rt_trap. */
#define WK_TRAP_KINDS(X)                                                                       \
    X(WK_TRAP_UNREACHABLE, "unreachable", "unreachable")                                       \
    X(WK_TRAP_INT_DIV_ZERO, "integer_divide_by_zero", "integer divide by zero")                \
    X(WK_TRAP_INT_OVERFLOW, "integer_overflow", "integer overflow")                            \
    X(WK_TRAP_INVALID_CONVERSION, "invalid_conversion", "invalid conversion to integer")       \
    X(WK_TRAP_MEMORY_OOB, "memory_out_of_bounds", "out of bounds memory access")               \
    X(WK_TRAP_TABLE_OOB, "table_out_of_bounds", "out of bounds table access")                  \
    X(WK_TRAP_UNDEFINED_ELEMENT, "undefined_element", "undefined element")                     \
    X(WK_TRAP_UNINITIALIZED_ELEMENT, "uninitialized_element", "uninitialized element")         \
    X(WK_TRAP_INDIRECT_CALL_TYPE, "indirect_call_type_mismatch", "indirect call type mismatch") \
    X(WK_TRAP_STACK_EXHAUSTED, "call_stack_exhausted", "call stack exhausted")                 \
    X(WK_TRAP_HOST, "host", "host trap")                                                       \
    X(WK_TRAP_INTERRUPTED, "interrupted", "interrupted")                                       \
    X(WK_TRAP_OUT_OF_FUEL, "out_of_fuel", "out of fuel")                                       \
    X(WK_TRAP_EXIT, "exit", "exit")

struct wk_trap {
    wk_trap_kind_t kind;
    char *message;
    void *data;
    void (*finalizer)(void *);
    uint32_t exit_code; /* WK_TRAP_EXIT only */
    wk_frame_t *frames; /* innermost first; names owned by the trap (see backtrace.c) */
    size_t nframes;
    size_t more_frames; /* frames passed but not recorded (beyond TRAP_MAX_PCS) */
    char *describe;     /* wk_trap_describe's text, made on first use */
};

/* Return addresses recorded per trap and entry; deeper frames are only counted. */
#define TRAP_MAX_PCS 256

/* The spec message of a trap kind ("unknown trap" for an unknown number). */
const char *trap_kind_message(uint32_t kind);
/* The identifier of a trap kind ("integer_divide_by_zero"; "unknown" for an unknown one). */
const char *trap_kind_name(uint32_t kind);

/* A new owned trap of a runtime kind with its spec message. */
wk_trap_t *trap_new_kind(uint32_t kind);

/* A new owned WK_TRAP_HOST trap with a message (copied) and a payload (owned). */
wk_trap_t *trap_new_payload(const char *message, void *data, void (*finalizer)(void *));
/* Frees a trap, running the payload's finalizer. Accepts NULL. */
void trap_delete(wk_trap_t *trap);

/* A new owned WK_TRAP_EXIT trap carrying a WASI exit code. */
wk_trap_t *trap_new_exit(uint32_t code);

/* A new owned WK_TRAP_HOST trap with a printf-style message. */
wk_trap_t *trap_new_host(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What a trap jumps back to: frame, stack pointer and resume address only. The compiler keeps
 * the entering function's values in its frame (the callee-saved registers need no saving),
 * and no signal mask is saved: the fault handler gives back the interrupted mask itself. */
typedef void *TrapJmpBuf[5];
#define TRAP_SETJMP(buf) __builtin_setjmp(buf)
#define TRAP_LONGJMP(buf) __builtin_longjmp(buf, 1)

/* One host->Wasm entry, on the entering thread's stack. Lives from trap_call's start to end. */
typedef struct TrapEntry {
    TrapJmpBuf buf;
    struct TrapEntry *prev;
    VMStore *store;
    uint8_t *saved_limit;   /* store->stack_limit before this entry */
    uint32_t kind;          /* trap kind when jumped to */
    wk_trap_t *host_trap;   /* the trap to return as is, or NULL */
    bool saved_in_wasm;
} TrapEntry;

/* Runs tramp(code, vmctx, vals) as a host->Wasm entry of `store`: sets the stack limit on the
 * thread's outermost entry, re-checks the fault handler when due (trap_ensure_handler), and
 * catches every trap raised below it. Returns NULL or the owned trap. No allocation, no system
 * call, no clock on the common path. */
wk_trap_t *trap_call(VMStore *store, Trampoline tramp, void *code, VMContext *vmctx,
                     WasmVal *vals);

/* Raises a trap in the innermost entry of this thread (never returns). With a non-NULL trap
 * (a host function's, or one with a particular message) that trap, owned by the entry from
 * here on, is what trap_call returns; otherwise a new trap of `kind`. Must only be called
 * below trap_call. */
_Noreturn void trap_raise(uint32_t kind, wk_trap_t *host_trap);

/* True when this thread is inside trap_call. */
bool trap_in_entry(void);
/* Bytes of stack left below the caller's frame on this thread (its guard page excluded). */
size_t trap_stack_room(void);

/* Marks the thread as running host code (false) or Wasm code (true) below the innermost entry,
 * so that faults in host code are not taken for Wasm traps. Returns the previous state. */
bool trap_set_in_wasm(bool in_wasm);

/* Installs the fault handler if it is not (or no longer) the installed one. Idempotent;
 * called when a store is created or instantiated into and by trap_call on a thread's first
 * entry, the first entry into each store and every 1024th entry (RECHECK_EVERY, trap.c). */
void trap_ensure_handler(void);

/* Fault address ranges (memory reservations) that count as Wasm out-of-bounds accesses when a
 * thread is inside Wasm. Thread-safe; the handler reads them without locking. */
bool trap_register_range(const void *base, uint64_t size); /* false: table full */
void trap_unregister_range(const void *base);

/* Maximum native stack Wasm may use per outermost entry. */
#define WK_MAX_WASM_STACK ((uintptr_t)1 << 20)

#endif
