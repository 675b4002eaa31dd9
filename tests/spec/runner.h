/* Shared declarations of the spec-suite runner: command kinds, values (values.c), the
 * spectest host module (spectest.c) and the per-file executor (exec.c). The runner is a
 * client of include/wasmkiln.h only. */
#ifndef SPEC_RUNNER_H
#define SPEC_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "wasmkiln.h"

/* ---- Commands ------------------------------------------------------------------------------- */

typedef enum CmdType {
    CMD_MODULE,
    CMD_REGISTER,
    CMD_ACTION,
    CMD_ASSERT_RETURN,
    CMD_ASSERT_TRAP,
    CMD_ASSERT_EXHAUSTION,
    CMD_ASSERT_INVALID,
    CMD_ASSERT_MALFORMED,
    CMD_ASSERT_UNLINKABLE,
    CMD_ASSERT_UNINSTANTIABLE,
    CMD_UNKNOWN,
    CMD_COUNT
} CmdType;

/* The type of a JSON command object ("type" member); CMD_UNKNOWN when absent or new. */
CmdType cmd_type_of(const cJSON *cmd);
/* The wast2json spelling of t ("assert_return"). */
const char *cmd_type_name(CmdType t);
/* True for the assert_* commands, the ones the "spec:" total counts. */
bool cmd_is_assertion(CmdType t);

/* Reads a .wast script (text, len bytes) into the command list wast2json would write, with
 * the modules in memory: "wasm_hex" (a binary module) or "wat_hex" (quoted text, converted
 * when the command runs). NULL with a "line:column: reason" in err when the script is
 * malformed. source is the file's path (recorded as source_filename). */
cJSON *wast_to_json(const char *text, size_t len, const char *source, char *err,
                    size_t errlen);

/* Compares the modules of our reading of a script (ours, from wast_to_json) with wast2json's
 * (theirs; its .wasm files in dir): prints one line for the file and one per difference.
 * Returns 0 when every module encoded from text is byte-identical. */
int compare_file(const cJSON *ours, const cJSON *theirs, const char *dir, const char *name);

/* Skip reasons, spelled as they are reported. */
#define SKIP_NO_EXECUTION "no execution yet"
/* A valid module this build cannot compile (wk_module_new: WK_ERROR_UNSUPPORTED). */
#define SKIP_UNSUPPORTED "not supported by this build"

/* Status characters of the records the executor writes, one record per command:
 * "<index> P\n", "<index> S <reason>\n" or "<index> F <message>\n". */
enum { REC_PASS = 'P', REC_FAIL = 'F', REC_SKIP = 'S' };

/* Runs every command of a parsed wast2json file in this process (one engine, one store) and
 * writes one record per command to out, flushed after each. dir holds the .wasm files.
 * Returns 0, or 1 when the engine or store could not be created (records then say why). */
int exec_file(const cJSON *root, const char *dir, FILE *out);

/* ---- Values --------------------------------------------------------------------------------- */

/* How an expected value (or one v128 lane) is compared. */
enum { PAT_EXACT, PAT_NAN_CANONICAL, PAT_NAN_ARITHMETIC, PAT_ANY_REF };

/* v128 lane interpretations. */
enum { LANE_NONE, LANE_I8, LANE_I16, LANE_I32, LANE_I64, LANE_F32, LANE_F64 };

/* A value from the JSON: an exact wk_val_t plus, for expected results, NaN patterns. */
typedef struct Value {
    wk_val_t val;
    uint8_t lane;    /* LANE_* for v128, LANE_NONE otherwise */
    uint8_t pat[16]; /* PAT_* per lane; index 0 for scalars and references */
} Value;

/* Parses {"type": ..., "value": ...}. Returns false (and a reason in err) when malformed. */
bool value_parse(const cJSON *json, Value *out, char *err, size_t errlen);
/* True when got is of the expected kind and matches the value or pattern. */
bool value_match(const Value *expected, const wk_val_t *got);
/* Appends a readable form ("i32:42", "f32:nan:canonical", "v128:i32x4:1 2 3 4") to buf. */
void value_format(const Value *v, char *buf, size_t len);
/* Same for a produced value; lane gives the v128 interpretation (LANE_NONE: i32 lanes). */
void value_format_got(const wk_val_t *v, uint8_t lane, char *buf, size_t len);
/* The host pointer standing for `ref.extern n`: distinct and non-NULL per n, stable for the
 * life of the process. */
void *externref_of(uint64_t n);
/* Frees the pointers made by externref_of. */
void externref_free_all(void);

/* ---- The spectest host module --------------------------------------------------------------- */

typedef struct Spectest Spectest;

enum { LOOKUP_FOUND, LOOKUP_MISSING, LOOKUP_NO_EXECUTION };

/* Creates the spectest exports in store. Never NULL; when the runtime cannot create them yet,
 * lookups of known names answer LOOKUP_NO_EXECUTION. */
Spectest *spectest_new(wk_store_t *store);
void spectest_delete(Spectest *s);
/* Looks up an export of spectest by name. */
int spectest_lookup(const Spectest *s, wk_name_t name, wk_extern_t *out);

#endif
