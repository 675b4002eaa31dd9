/* Type descriptions as namedtuple classes: FunctionType, MemoryType, TableType, GlobalType,
 * ImportType and ExportType (what Module.imports/exports and .type properties return). */
#include "py_internal.h"

/* name, field names, docstring of each type, in WkState order from functype_type on. */
static const char *const TYPES[][3] = {
    {"FunctionType", "params results",
     "Type of a function: params and results are tuples of value types ('i32', 'i64', "
     "'f32', 'f64', 'v128', 'funcref', 'externref')."},
    {"MemoryType", "minimum maximum", "Type of a memory: limits in 64 KiB pages (maximum may "
                                      "be None)."},
    {"TableType", "element minimum maximum",
     "Type of a table: element type ('funcref' or 'externref') and limits."},
    {"GlobalType", "type mutable", "Type of a global: value type and mutability."},
    {"ImportType", "module name type", "An import of a module: module, name and extern type."},
    {"ExportType", "name type", "An export of a module: name and extern type."},
    {"Frame", "module func_index func_name offset",
     "A Wasm frame a trap passed: the module's name (from its name section, or None), the "
     "function's index, its name (demangled; None when the module has none) and the byte "
     "offset of its code in the module."},
};

/* A namedtuple class of the wasmkiln module, added to mod. */
static PyObject *make_namedtuple(PyObject *mod, PyObject *factory, const char *const *t)
{
    PyObject *cls = PyObject_CallFunction(factory, "ss", t[0], t[1]);
    PyObject *doc = cls ? PyUnicode_FromString(t[2]) : NULL;
    PyObject *modname = doc ? PyUnicode_FromString("wasmkiln") : NULL;
    if (!modname || PyObject_SetAttrString(cls, "__doc__", doc) < 0 ||
        PyObject_SetAttrString(cls, "__module__", modname) < 0 ||
        PyModule_AddObjectRef(mod, t[0], cls) < 0)
        Py_CLEAR(cls);
    Py_XDECREF(doc);
    Py_XDECREF(modname);
    return cls;
}

int py_types_init(PyObject *mod, WkState *st)
{
    PyObject *collections = PyImport_ImportModule("collections");
    PyObject *factory = collections ? PyObject_GetAttrString(collections, "namedtuple") : NULL;
    Py_XDECREF(collections);
    if (!factory) return -1;
    PyObject **slots = (PyObject **)&st->functype_type;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (!(slots[i] = make_namedtuple(mod, factory, TYPES[i]))) rc = -1;
    Py_DECREF(factory);
    return rc;
}

PyObject *py_types_make(PyTypeObject *type, int n, PyObject **items)
{
    PyObject *args = PyTuple_New(n);
    for (int i = 0; i < n; i++) {
        if (!args || !items[i]) {
            Py_CLEAR(args);
            for (int j = i; j < n; j++)
                Py_XDECREF(items[j]);
            return NULL;
        }
        PyTuple_SET_ITEM(args, i, items[i]);
    }
    PyObject *r = PyObject_Call((PyObject *)type, args, NULL);
    Py_DECREF(args);
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
