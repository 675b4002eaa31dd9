/* Type descriptions as named tuples: FunctionType, MemoryType, TableType, GlobalType,
 * ImportType and ExportType (what Module.imports/exports and .type properties return). */
#include "py_internal.h"

static PyStructSequence_Field functype_fields[] = {
    {"params", "tuple of parameter types ('i32', 'i64', 'f32', 'f64', 'v128', 'funcref', "
               "'externref')"},
    {"results", "tuple of result types"},
    {NULL, NULL},
};
static PyStructSequence_Field memorytype_fields[] = {
    {"minimum", "initial size in 64 KiB pages"},
    {"maximum", "maximum size in pages, or None"},
    {NULL, NULL},
};
static PyStructSequence_Field tabletype_fields[] = {
    {"element", "'funcref' or 'externref'"},
    {"minimum", "initial number of elements"},
    {"maximum", "maximum number of elements, or None"},
    {NULL, NULL},
};
static PyStructSequence_Field globaltype_fields[] = {
    {"type", "value type of the global"},
    {"mutable", "True when the global can be set"},
    {NULL, NULL},
};
static PyStructSequence_Field importtype_fields[] = {
    {"module", "module name of the import"},
    {"name", "field name of the import"},
    {"type", "FunctionType, MemoryType, TableType or GlobalType"},
    {NULL, NULL},
};
static PyStructSequence_Field exporttype_fields[] = {
    {"name", "export name"},
    {"type", "FunctionType, MemoryType, TableType or GlobalType"},
    {NULL, NULL},
};

#define DESC(var, name, doc, fields)                                                           \
    static PyStructSequence_Desc var = {"wasmkiln." name, doc, fields,                         \
                                        sizeof fields / sizeof fields[0] - 1}
DESC(functype_desc, "FunctionType", "Type of a function: params and results.", functype_fields);
DESC(memorytype_desc, "MemoryType", "Type of a memory: limits in pages.", memorytype_fields);
DESC(tabletype_desc, "TableType", "Type of a table: element type and limits.",
     tabletype_fields);
DESC(globaltype_desc, "GlobalType", "Type of a global: value type and mutability.",
     globaltype_fields);
DESC(importtype_desc, "ImportType", "An import of a module: module, name and type.",
     importtype_fields);
DESC(exporttype_desc, "ExportType", "An export of a module: name and type.", exporttype_fields);

static PyTypeObject *add_structseq(PyObject *mod, PyStructSequence_Desc *desc)
{
    PyTypeObject *type = PyStructSequence_NewType(desc);
    if (!type) return NULL;
    if (PyModule_AddType(mod, type) < 0) Py_CLEAR(type);
    return type;
}

int py_types_init(PyObject *mod, WkState *st)
{
    st->functype_type = add_structseq(mod, &functype_desc);
    st->memorytype_type = add_structseq(mod, &memorytype_desc);
    st->tabletype_type = add_structseq(mod, &tabletype_desc);
    st->globaltype_type = add_structseq(mod, &globaltype_desc);
    st->importtype_type = add_structseq(mod, &importtype_desc);
    st->exporttype_type = add_structseq(mod, &exporttype_desc);
    return st->functype_type && st->memorytype_type && st->tabletype_type &&
                   st->globaltype_type && st->importtype_type && st->exporttype_type
               ? 0
               : -1;
}

PyObject *py_types_make(PyTypeObject *type, int n, PyObject **items)
{
    PyObject *r = PyStructSequence_New(type);
    for (int i = 0; i < n; i++) {
        if (!r || !items[i]) {
            Py_XDECREF(r);
            for (int j = i; j < n; j++)
                Py_XDECREF(items[j]);
            return NULL;
        }
        PyStructSequence_SetItem(r, i, items[i]);
    }
    return r;
}

static PyObject *kinds_tuple(size_t n, const wk_valkind_t *kinds)
{
    PyObject *t = PyTuple_New((Py_ssize_t)n);
    for (size_t i = 0; t && i < n; i++) {
        PyObject *s = PyUnicode_InternFromString(py_valkind_name(kinds[i]));
        if (!s) Py_CLEAR(t);
        else PyTuple_SET_ITEM(t, (Py_ssize_t)i, s);
    }
    return t;
}

static PyObject *maximum(const wk_limits_t *l)
{
    return l->has_max ? PyLong_FromUnsignedLong(l->max) : Py_NewRef(Py_None);
}

PyObject *py_types_func(WkState *st, const wk_functype_t *type)
{
    PyObject *items[] = {kinds_tuple(type->nparams, type->params),
                         kinds_tuple(type->nresults, type->results)};
    return py_types_make(st->functype_type, 2, items);
}

PyObject *py_types_extern(WkState *st, const wk_externtype_t *type)
{
    switch (type->kind) {
    case WK_EXTERN_FUNC: return py_types_func(st, &type->of.func);
    case WK_EXTERN_MEMORY: {
        PyObject *items[] = {PyLong_FromUnsignedLong(type->of.memory.min),
                             maximum(&type->of.memory)};
        return py_types_make(st->memorytype_type, 2, items);
    }
    case WK_EXTERN_TABLE: {
        const wk_tabletype_t *t = &type->of.table;
        PyObject *items[] = {PyUnicode_FromString(py_valkind_name(t->elem)),
                             PyLong_FromUnsignedLong(t->limits.min), maximum(&t->limits)};
        return py_types_make(st->tabletype_type, 3, items);
    }
    default: {
        PyObject *items[] = {PyUnicode_FromString(py_valkind_name(type->of.global.kind)),
                             PyBool_FromLong(type->of.global.mutable_)};
        return py_types_make(st->globaltype_type, 2, items);
    }
    }
}
