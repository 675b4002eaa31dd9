/* Linear memories: reserve with mmap(PROT_NONE, MAP_NORESERVE), commit with mprotect. */
#include <stdlib.h>
#include <sys/mman.h>

#include "memory.h"
#include "trap.h"

static void *reserve(uint64_t size)
{
    void *p = mmap(NULL, (size_t)size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Software mode: reserve the maximum size, halving on failure down to the minimum. */
static bool reserve_software(wk_memory_t *mem, uint32_t max_pages)
{
    uint64_t want = (uint64_t)max_pages * WK_PAGE_SIZE;
    uint64_t need = (uint64_t)mem->limits.min * WK_PAGE_SIZE;
    if (want == 0) want = WK_PAGE_SIZE; /* mmap needs a length; nothing is committed */
    for (;;) {
        mem->map = reserve(want);
        if (mem->map) break;
        if (want / 2 < need || want <= WK_PAGE_SIZE) return false;
        want = (want / 2 + WK_PAGE_SIZE - 1) / WK_PAGE_SIZE * WK_PAGE_SIZE;
    }
    mem->mapped = want;
    mem->cap_pages = (uint32_t)(want / WK_PAGE_SIZE < max_pages ? want / WK_PAGE_SIZE
                                                                : max_pages);
    return true;
}

static bool commit(wk_memory_t *mem, uint32_t from, uint32_t to)
{
    if (to == from) return true;
    uint8_t *p = mem->map + (uint64_t)from * WK_PAGE_SIZE;
    return mprotect(p, (size_t)(to - from) * WK_PAGE_SIZE, PROT_READ | PROT_WRITE) == 0;
}

wk_error_t *memory_new(Limits limits, bool guard, wk_memory_t **out)
{
    wk_memory_t *mem = calloc(1, sizeof *mem);
    if (!mem) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    mem->limits = limits;
    mem->guard = guard;
    uint32_t max_pages = limits.has_max ? limits.max : WK_MAX_PAGES;
    if (guard) {
        mem->mapped = WK_MEMORY_RESERVATION + WK_MEMORY_GUARD;
        mem->map = reserve(mem->mapped);
        mem->cap_pages = max_pages;
    } else if (!reserve_software(mem, max_pages)) {
        mem->map = NULL;
    }
    if (!mem->map || !commit(mem, 0, limits.min) ||
        (guard && !trap_register_range(mem->map, mem->mapped))) {
        if (mem->map) munmap(mem->map, (size_t)mem->mapped);
        free(mem);
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of address space for memory");
    }
    mem->vm.base = mem->map;
    mem->vm.pages = limits.min;
    mem->vm.bytes = (uint64_t)limits.min * WK_PAGE_SIZE;
    mem->vm.max_pages = max_pages;
    *out = mem;
    return NULL;
}

wk_error_t *memory_new_capped(Limits limits, bool guard, uint32_t cap_pages, wk_memory_t **out)
{
    if (limits.min > cap_pages)
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET,
                         "memory minimum of %u pages exceeds the store's limit of %u pages",
                         limits.min, cap_pages);
    wk_memory_t *mem = NULL;
    wk_error_t *err = memory_new(limits, guard, &mem);
    if (err) return err;
    if (mem->cap_pages > cap_pages) mem->cap_pages = cap_pages; /* the type stays as declared */
    *out = mem;
    return NULL;
}

void memory_delete(wk_memory_t *mem)
{
    if (!mem) return;
    hostinfo_release(&mem->host);
    if (mem->guard) trap_unregister_range(mem->map);
    munmap(mem->map, (size_t)mem->mapped);
    free(mem);
}

bool memory_grow(wk_memory_t *mem, uint32_t delta, uint32_t *prev)
{
    uint32_t old = mem->vm.pages;
    *prev = old;
    if ((uint64_t)old + delta > mem->cap_pages) return false;
    if (!commit(mem, old, old + delta)) return false;
    mem->vm.pages = old + delta;
    mem->vm.bytes = (uint64_t)mem->vm.pages * WK_PAGE_SIZE;
    return true;
}
