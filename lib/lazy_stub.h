/* Lazy-compilation stubs: per defined function a few bytes of machine code that stand in for
 * its code until it is compiled. A stub has the function's own signature (it passes every
 * argument register through): it calls lazy_resolve(slot), then jumps to the address that
 * returns, so the caller never knows. x86-64 System V only (lazy_stub_supported). */
#ifndef WK_LAZY_STUB_H
#define WK_LAZY_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Implemented by lib/lazy.c: compiles (once) the function `slot` stands for and returns its
 * code. Runs on the calling Wasm thread, between the caller and the callee. */
void *lazy_resolve(void *slot);

/* True when stubs exist for this host. */
bool lazy_stub_supported(void);

/* n stubs in fresh executable memory: stub i passes slots[i] (any pointer) to lazy_resolve.
 * Returns the memory (size *size; lazy_stub_free) or NULL when out of memory or unsupported;
 * stub i is at lazy_stub_at(mem, i). */
void *lazy_stub_alloc(void *const *slots, uint32_t n, size_t *size);
void *lazy_stub_at(void *mem, uint32_t i);
void lazy_stub_free(void *mem, size_t size);

#endif
