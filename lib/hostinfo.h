/* Host info: the one embedder pointer every runtime object (function, memory, table, global,
 * instance) carries, with the finalizer that runs exactly once: when the pointer is replaced
 * or when the object dies with its store. */
#ifndef WK_HOSTINFO_H
#define WK_HOSTINFO_H

#include <stddef.h>

typedef struct HostInfo {
    void *data;
    void (*finalizer)(void *data);
} HostInfo;

/* Runs the finalizer of the current pointer (if any) and clears it. */
static inline void hostinfo_release(HostInfo *h)
{
    HostInfo old = *h;
    h->data = NULL;
    h->finalizer = NULL;
    if (old.finalizer) old.finalizer(old.data);
}

/* Replaces the pointer, finalizing the previous one first. */
static inline void hostinfo_set(HostInfo *h, void *data, void (*finalizer)(void *))
{
    hostinfo_release(h);
    h->data = data;
    h->finalizer = finalizer;
}

#endif
