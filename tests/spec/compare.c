/* The encoding check: every module our .wast reader encodes from text must be byte-identical
 * to the one wast2json (wabt) wrote for the same command. Used by `spec_runner -w DIR`. */
#include <stdlib.h>
#include <string.h>

#include "runner.h"

static uint8_t *read_bytes(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    *size = n > 0 ? (size_t)n : 0;
    if (b && fread(b, 1, *size, f) != *size) {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

static const char *str_of(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* Compares one command pair; returns 1 when compared and different, 0 otherwise. */
static int compare_cmd(const cJSON *a, const cJSON *b, const char *dir, const char *name,
                       size_t *compared)
{
    const char *hex = str_of(a, "wasm_hex"), *file = str_of(b, "filename");
    const char *type = str_of(b, "module_type");
    if (!hex || !file || (type && strcmp(type, "binary") != 0)) return 0;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "from_text"))) return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    size_t size;
    uint8_t *theirs = read_bytes(path, &size);
    if (!theirs) {
        printf("  %s: cannot read %s\n", name, path);
        (*compared)++;
        return 1;
    }
    size_t n = strlen(hex) / 2, first = SIZE_MAX;
    for (size_t i = 0; i < n && i < size && first == SIZE_MAX; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        if (v != theirs[i]) first = i;
    }
    if (first == SIZE_MAX && n != size) first = n < size ? n : size;
    free(theirs);
    (*compared)++;
    if (first == SIZE_MAX) return 0;
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(a, "line");
    printf("  DIFF %s:%d: %s differs from ours at byte 0x%zx (sizes %zu, ours %zu)\n", name,
           cJSON_IsNumber(line) ? line->valueint : 0, file, first, size, n);
    return 1;
}

int compare_file(const cJSON *ours, const cJSON *theirs, const char *dir, const char *name)
{
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(ours, "commands");
    const cJSON *cb = cJSON_GetObjectItemCaseSensitive(theirs, "commands");
    if (cJSON_GetArraySize(ca) != cJSON_GetArraySize(cb)) {
        printf("%s: %d commands, wast2json has %d\n", name, cJSON_GetArraySize(ca),
               cJSON_GetArraySize(cb));
        return 1;
    }
    size_t compared = 0, differ = 0;
    for (const cJSON *a = ca->child, *b = cb->child; a && b; a = a->next, b = b->next)
        differ += (size_t)compare_cmd(a, b, dir, name, &compared);
    printf("%s: %zu modules identical, %zu differ\n", name, compared - differ, differ);
    return differ ? 1 : 0;
}
