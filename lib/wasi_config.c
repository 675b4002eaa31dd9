/* The WASI configuration object (wk_wasi_config_t): copied strings, preopens and the three
 * standard streams' connections. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasi.h"

wk_wasi_config_t *wasi_config_new(void)
{
    return calloc(1, sizeof(wk_wasi_config_t));
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void wasi_config_clear(wk_wasi_config_t *cfg)
{
    free_strings(cfg->argv, cfg->argc);
    free_strings(cfg->env, cfg->nenv);
    for (size_t i = 0; i < cfg->npreopens; i++) {
        free(cfg->preopens[i].host);
        free(cfg->preopens[i].guest);
    }
    free(cfg->preopens);
    free(cfg->stdin_data);
    memset(cfg, 0, sizeof *cfg);
}

void wasi_config_free(wk_wasi_config_t *cfg)
{
    if (!cfg) return;
    wasi_config_clear(cfg);
    free(cfg);
}

/* A copy of n strings, or NULL (nothing allocated) when out of memory. */
static char **copy_strings(const char *const *v, size_t n)
{
    char **r = calloc(n ? n : 1, sizeof *r);
    for (size_t i = 0; r && i < n; i++) {
        r[i] = strdup(v[i]);
        if (!r[i]) {
            free_strings(r, i);
            return NULL;
        }
    }
    return r;
}

bool wasi_config_argv(wk_wasi_config_t *cfg, size_t argc, const char *const *argv)
{
    char **v = copy_strings(argv, argc);
    if (!v) return false;
    free_strings(cfg->argv, cfg->argc);
    cfg->argv = v;
    cfg->argc = argc;
    return true;
}

bool wasi_config_env(wk_wasi_config_t *cfg, const char *key, const char *value)
{
    char **v = realloc(cfg->env, (cfg->nenv + 1) * sizeof *v);
    if (!v) return false;
    cfg->env = v;
    size_t n = strlen(key) + strlen(value) + 2;
    char *kv = malloc(n);
    if (!kv) return false;
    snprintf(kv, n, "%s=%s", key, value);
    v[cfg->nenv++] = kv;
    return true;
}

bool wasi_config_preopen(wk_wasi_config_t *cfg, const char *host, const char *guest,
                         bool readonly)
{
    WasiPreopen *p = realloc(cfg->preopens, (cfg->npreopens + 1) * sizeof *p);
    if (!p) return false;
    cfg->preopens = p;
    WasiPreopen po = {strdup(host), strdup(guest), readonly};
    if (!po.host || !po.guest) {
        free(po.host);
        free(po.guest);
        return false;
    }
    p[cfg->npreopens++] = po;
    return true;
}

bool wasi_config_stdin_bytes(wk_wasi_config_t *cfg, const uint8_t *data, size_t size)
{
    uint8_t *d = malloc(size ? size : 1);
    if (!d) return false;
    if (size) memcpy(d, data, size);
    free(cfg->stdin_data);
    cfg->stdin_data = d;
    cfg->stdin_size = size;
    cfg->stdio[0] = WK_WASI_STDIO_BUFFER;
    return true;
}

bool wasi_config_copy(wk_wasi_config_t *dst, const wk_wasi_config_t *src)
{
    memset(dst, 0, sizeof *dst);
    memcpy(dst->stdio, src->stdio, sizeof dst->stdio);
    memcpy(dst->stdio_fd, src->stdio_fd, sizeof dst->stdio_fd);
    memcpy(dst->write, src->write, sizeof dst->write);
    memcpy(dst->write_env, src->write_env, sizeof dst->write_env);
    bool ok = wasi_config_argv(dst, src->argc, (const char *const *)src->argv);
    for (size_t i = 0; ok && i < src->nenv; i++) {
        char **v = realloc(dst->env, (dst->nenv + 1) * sizeof *v);
        ok = v && (v[dst->nenv] = strdup(src->env[i])) != NULL;
        if (v) dst->env = v;
        if (ok) dst->nenv++;
    }
    for (size_t i = 0; ok && i < src->npreopens; i++) {
        const WasiPreopen *p = &src->preopens[i];
        ok = wasi_config_preopen(dst, p->host, p->guest, p->readonly);
    }
    if (ok && src->stdin_data) ok = wasi_config_stdin_bytes(dst, src->stdin_data, src->stdin_size);
    if (ok) dst->stdio[0] = src->stdio[0];
    if (!ok) wasi_config_clear(dst);
    return ok;
}
