/* Linear memories: an address-space reservation whose base never moves, committed page by page
 * as the memory grows (spec 4.2.8). */
#ifndef WK_MEMORY_H
#define WK_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "hostinfo.h"
#include "module.h"
#include "vmctx.h"

struct wk_memory {
    VMMemory vm; /* first: compiled code and VMContext point here */
    Limits limits; /* as created; the current size is vm.pages */
    uint8_t *map;  /* the reservation */
    uint64_t mapped;
    uint32_t cap_pages; /* pages the reservation can hold (software mode may be smaller) */
    bool guard;         /* guard-page mode: the whole 8 GiB range is reserved and watched */
    struct wk_store *store; /* the owner, set by who hands it to a store (API checks) */
    HostInfo host;
};

/* A new memory of `limits` (pages) with min pages committed and zeroed. guard selects the
 * 8 GiB reservation; otherwise only the maximum size (or less, when the address space is
 * short) is reserved and accesses are checked in software. Errors: WK_ERROR_RESOURCE. */
wk_error_t *memory_new(Limits limits, bool guard, wk_memory_t **out);
/* The same, never growing past cap_pages (a store's limit): fails when limits.min exceeds it. */
wk_error_t *memory_new_capped(Limits limits, bool guard, uint32_t cap_pages, wk_memory_t **out);
void memory_delete(wk_memory_t *mem);
/* Grows by delta pages; false (and no change) when over the maximum or out of memory.
 * *prev receives the old size in pages. */
bool memory_grow(wk_memory_t *mem, uint32_t delta, uint32_t *prev);

#endif
