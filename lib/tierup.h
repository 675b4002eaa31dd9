/* Compiling a module by the engine's strategy, and tiered compilation: the fast tier first,
 * O2 in a background job that then switches the module and its instances to O2. */
#ifndef WK_TIERUP_H
#define WK_TIERUP_H

#include "compiled.h"

/* Compiles mod->m by its engine's strategy and sets mod->code (and, when tiering up, starts
 * the background job, which holds a reference to mod). mod->lock and tierup_done must be
 * initialised. Returns NULL or an owned error (then mod->code is NULL). */
wk_error_t *tierup_compile(wk_module_t *mod);

/* Cancels the background jobs of e's modules and waits for them to end: wk_engine_delete
 * calls it, so that no compile runs once the embedder is done with the engine. */
void tierup_engine_shutdown(wk_engine_t *e);

#endif
