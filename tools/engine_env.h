/* The one place where the environment configures wasmkiln: the Python package and the
 * command-line tools (spec runner, benchmark driver, fuzz runner) take their engine options
 * from it; the library itself reads no environment variable. */
#ifndef WK_ENGINE_ENV_H
#define WK_ENGINE_ENV_H

#include "wasmkiln.h"

/* The default options overridden by the environment: WK_JIT_OPT ("o2" or 2: WK_STRATEGY_O2,
 * 0 or "fast": WK_STRATEGY_FAST, "tiered": WK_STRATEGY_TIERED, else WK_STRATEGY_LAZY), WK_CACHE_DIR (the cache
 * directory; unset or empty: none; opts->cache_dir then points into the environment),
 * WK_BOUNDS=software (software_bounds), WK_TIER_MIN_BYTES (tiered_min_bytes), WK_FUEL=1
 * (fuel) and WK_JIT_VERIFY (set: verify_ir). */
void engine_env_options(wk_engine_options_t *opts);

/* wk_engine_new_with(engine_env_options()). */
wk_error_t *engine_env_new(wk_engine_t **out);

#endif
