/* Engine options from the environment, for the Python package and the command-line tools. */
#include <stdlib.h>
#include <string.h>

#include "engine_env.h"

static wk_strategy_t strategy_of(const char *s)
{
    if (s && (strcmp(s, "2") == 0 || strcmp(s, "o2") == 0)) return WK_STRATEGY_O2;
    if (s && (strcmp(s, "0") == 0 || strcmp(s, "fast") == 0)) return WK_STRATEGY_FAST;
    if (s && strcmp(s, "tiered") == 0) return WK_STRATEGY_TIERED;
    return WK_STRATEGY_LAZY;
}

void engine_env_options(wk_engine_options_t *opts)
{
    wk_engine_options_default(opts);
    const char *cache = getenv("WK_CACHE_DIR"), *bounds = getenv("WK_BOUNDS");
    const char *min = getenv("WK_TIER_MIN_BYTES");
    opts->strategy = strategy_of(getenv("WK_JIT_OPT"));
    opts->cache_dir = cache && cache[0] ? cache : NULL;
    opts->software_bounds = bounds && strcmp(bounds, "software") == 0;
    opts->tiered_min_bytes = min && min[0] ? (uint32_t)strtoul(min, NULL, 10) : 0;
    opts->verify_ir = getenv("WK_JIT_VERIFY") != NULL;
    const char *fuel = getenv("WK_FUEL");
    opts->fuel = fuel && strcmp(fuel, "1") == 0;
}

wk_error_t *engine_env_new(wk_engine_t **out)
{
    wk_engine_options_t opts;
    engine_env_options(&opts);
    return wk_engine_new_with(&opts, out);
}
