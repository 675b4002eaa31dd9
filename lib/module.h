/* The in-memory module: what decode.c builds, validate.c checks and lower*.c compiles.
 * Everything points into the module's own copy of the bytes (Module.bytes). */
#ifndef WK_MODULE_H
#define WK_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasmkiln.h"

typedef uint8_t ValType; /* WK_I32 ... WK_EXTERNREF, binary encoding */

/* Section ids (spec 5.5.2). */
enum {
    SEC_CUSTOM = 0, SEC_TYPE, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE, SEC_MEMORY, SEC_GLOBAL,
    SEC_EXPORT, SEC_START, SEC_ELEMENT, SEC_CODE, SEC_DATA, SEC_DATACOUNT,
};

typedef struct Name {
    uint32_t size;
    const char *data; /* into Module.bytes; not NUL-terminated */
} Name;

/* params then results, in one array. */
typedef struct FuncType {
    uint32_t nparams, nresults;
    ValType *types;
} FuncType;

typedef struct Limits {
    uint32_t min, max;
    bool has_max;
} Limits;

typedef struct TableType {
    ValType elem;
    Limits limits;
} TableType;

typedef struct GlobalType {
    ValType type;
    bool mut;
} GlobalType;

/* Where the value of a constant expression comes from (spec 3.3.10). */
enum { CONST_VALUE, CONST_GLOBAL, CONST_FUNC };
typedef struct ConstValue {
    uint8_t kind;     /* CONST_VALUE: `bits`; CONST_GLOBAL: global `index`; CONST_FUNC: a
                         reference to function `index` */
    ValType type;     /* the value's type */
    uint32_t index;
    uint64_t bits[2]; /* CONST_VALUE: the value's bits, low half first (ref.null: 0) */
} ConstValue;

/* A constant expression: the bytes from its first instruction up to and including `end`, and
 * (recorded by validation) its value. */
typedef struct ConstExpr {
    uint32_t offset; /* into Module.bytes */
    uint32_t size;
    ConstValue value;
} ConstExpr;

typedef struct Import {
    uint32_t offset; /* of the entry, for error messages */
    Name module, name;
    uint8_t kind; /* WK_EXTERN_* */
    union {
        uint32_t func_type; /* type index */
        TableType table;
        Limits memory;
        GlobalType global;
    } of;
} Import;

typedef struct Export {
    uint32_t offset; /* of the entry, for error messages */
    Name name;
    uint8_t kind; /* WK_EXTERN_* */
    uint32_t index; /* in the kind's index space (imports first) */
} Export;

/* A defined function. Locals exclude params; body spans the instructions after the locals
 * declarations up to and including the final `end`. */
typedef struct Func {
    uint32_t type;
    uint32_t nlocals;
    ValType *locals;
    uint32_t body_offset; /* into Module.bytes */
    uint32_t body_size;
    uint32_t code_offset; /* start of the code entry (its size field), for error messages */
    /* Recorded by validation: */
    uint32_t max_depth; /* deepest block nesting in the body (0: no block, loop or if) */
    uint8_t op_flags;   /* union of the OPF_* flags (instr.h) of its instructions */
} Func;

typedef struct Global {
    GlobalType type;
    ConstExpr init;
} Global;

enum { SEG_ACTIVE = 0, SEG_PASSIVE = 1, SEG_DECLARATIVE = 2 };

/* An element segment. Either `funcs` (function indices, for the index-list encodings) or
 * `exprs` (one ConstExpr per element) is set, never both. */
typedef struct Elem {
    uint8_t mode;
    ValType type; /* WK_FUNCREF or WK_EXTERNREF */
    uint32_t table;
    ConstExpr offset; /* active only */
    uint32_t count;
    uint32_t *funcs;
    ConstExpr *exprs;
} Elem;

typedef struct Data {
    uint8_t mode; /* SEG_ACTIVE or SEG_PASSIVE */
    uint32_t memory;
    ConstExpr offset; /* active only */
    uint32_t bytes_offset; /* into Module.bytes */
    uint32_t size;
} Data;

typedef struct LocalName {
    uint32_t index; /* local index (params first) */
    Name name;
} LocalName;

/* Names from the `name` custom section (spec 7.4); absent entries are zero-sized. */
typedef struct NameMap {
    Name module;         /* the module name subsection (id 0), or empty */
    uint32_t nfuncs;     /* entries in func_names, indexed by function index (imports first) */
    Name *func_names;
    /* Local names of function i: nlocal_names[i] entries at local_names[i] (NULL arrays when
     * the section has no local names). */
    uint32_t *nlocal_names;
    LocalName **local_names;
} NameMap;

typedef struct Module {
    uint8_t *bytes; /* owned copy of the input */
    size_t size;

    uint32_t ntypes;
    FuncType *types;

    uint32_t nimports;
    Import *imports;
    uint32_t nimported_funcs, nimported_tables, nimported_memories, nimported_globals;
    /* The imports of each kind again, in index-space order, for O(1) lookup. */
    uint32_t *import_funcs; /* type index of each imported function */
    TableType *import_tables;
    Limits *import_memories;
    GlobalType *import_globals;

    uint32_t nfuncs; /* defined functions */
    Func *funcs;
    uint32_t ntables; /* defined tables */
    TableType *tables;
    uint32_t nmemories; /* defined memories */
    Limits *memories;
    uint32_t nglobals; /* defined globals */
    Global *globals;

    uint32_t nexports;
    Export *exports;

    bool has_start;
    uint32_t start;

    uint32_t nelems;
    Elem *elems;

    bool has_datacount;
    uint32_t datacount;
    uint32_t ndatas;
    Data *datas;

    NameMap names;

    /* Offset of each section's id byte (0 when absent), for error messages. */
    uint32_t section_offsets[SEC_DATACOUNT + 1];
} Module;

/* Frees everything a Module owns, and the Module itself. Accepts NULL. */
void module_free(Module *m);
/* Frees what a NameMap owns (not the map itself). */
void name_map_free(NameMap *nm);

/* Names from the name section; zero-sized when absent. */
Name module_func_name(const Module *m, uint32_t func);
/* The number of custom sections called name[0..len); *out receives the contents (into
 * m->bytes) of the one numbered `which` (in module order) when there is one. */
size_t module_custom_sections(const Module *m, const char *name, size_t len, size_t which,
                              Name *out);
/* The name section's name of function func, else the name of its first export, else empty. */
Name module_func_display_name(const Module *m, uint32_t func);
Name module_local_name(const Module *m, uint32_t func, uint32_t local);

/* Index-space helpers (imports come first). */
uint32_t module_func_count(const Module *m);   /* imported + defined */
uint32_t module_table_count(const Module *m);
uint32_t module_memory_count(const Module *m);
uint32_t module_global_count(const Module *m);
/* Type index of function `idx` in the function index space. */
uint32_t module_func_type_index(const Module *m, uint32_t idx);
const FuncType *module_func_type(const Module *m, uint32_t idx);
TableType module_table_type(const Module *m, uint32_t idx);
Limits module_memory_type(const Module *m, uint32_t idx);
GlobalType module_global_type(const Module *m, uint32_t idx);

#endif
