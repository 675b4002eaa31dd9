/* The Exports type (instance.exports: attribute, item, len, iteration and dir access to every
 * export by name) and the conversions between wk_extern_t and Python wrappers. */
#include "py_internal.h"

PyObject *py_extern_to_py(WkState *st, PyObject *store, const wk_extern_t *ext, PyObject *name)
{
    switch (ext->kind) {
    case WK_EXTERN_FUNC: return py_func_wrap(st, store, ext->of.func, name);
    case WK_EXTERN_MEMORY: return py_memory_wrap(st, store, ext->of.memory);
    case WK_EXTERN_GLOBAL: return py_global_wrap(st, store, ext->of.global);
    default: return py_table_wrap(st, store, ext->of.table);
    }
}

int py_extern_from_py(WkState *st, PyObject *obj, wk_extern_t *out, PyObject **store)
{
    PyTypeObject *t = Py_TYPE(obj);
    if (t == st->func_type) {
        *out = (wk_extern_t){.kind = WK_EXTERN_FUNC, .of.func = ((FuncObject *)obj)->func};
        *store = ((FuncObject *)obj)->store;
    } else if (t == st->memory_type) {
        *out = (wk_extern_t){.kind = WK_EXTERN_MEMORY, .of.memory = ((MemoryObject *)obj)->memory};
        *store = ((MemoryObject *)obj)->store;
    } else if (t == st->global_type) {
        *out = (wk_extern_t){.kind = WK_EXTERN_GLOBAL, .of.global = ((GlobalObject *)obj)->global};
        *store = ((GlobalObject *)obj)->store;
    } else if (t == st->table_type) {
        *out = (wk_extern_t){.kind = WK_EXTERN_TABLE, .of.table = ((TableObject *)obj)->table};
        *store = ((TableObject *)obj)->store;
    } else {
        return 0;
    }
    return 1;
}

PyObject *py_exports_new(WkState *st, PyObject *store, wk_instance_t *inst)
{
    size_t n = wk_instance_export_count(inst);
    ExportsObject *self = PyObject_GC_New(ExportsObject, st->exports_type);
    if (!self) return NULL;
    self->names = PyTuple_New((Py_ssize_t)n);
    self->dict = PyDict_New();
    PyObject_GC_Track(self);
    if (!self->names || !self->dict) goto fail;
    for (size_t i = 0; i < n; i++) {
        wk_name_t nm = wk_instance_export_name(inst, i);
        PyObject *name = PyUnicode_DecodeUTF8(nm.data, (Py_ssize_t)nm.size, "surrogateescape");
        if (!name) goto fail;
        PyTuple_SET_ITEM(self->names, (Py_ssize_t)i, name);
        wk_extern_t ext = wk_instance_export(inst, i);
        PyObject *obj = py_extern_to_py(st, store, &ext, name);
        if (!obj || PyDict_SetItem(self->dict, name, obj) < 0) {
            Py_XDECREF(obj);
            goto fail;
        }
        Py_DECREF(obj);
    }
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static PyObject *no_export(PyObject *name)
{
    PyErr_Format(PyExc_AttributeError, "the instance has no export named %R", name);
    return NULL;
}

/* Exports first, then the type's attributes (dunders); AttributeError names the export. */
static PyObject *exports_getattro(PyObject *op, PyObject *name)
{
    PyObject *r = PyDict_GetItemWithError(((ExportsObject *)op)->dict, name);
    if (r) return Py_NewRef(r);
    if (PyErr_Occurred()) return NULL;
    r = PyObject_GenericGetAttr(op, name);
    if (!r && PyErr_ExceptionMatches(PyExc_AttributeError)) {
        PyErr_Clear();
        return no_export(name);
    }
    return r;
}

static PyObject *exports_subscript(PyObject *op, PyObject *name)
{
    PyObject *r = PyDict_GetItemWithError(((ExportsObject *)op)->dict, name);
    if (r) return Py_NewRef(r);
    if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, name);
    return NULL;
}

static Py_ssize_t exports_len(PyObject *op)
{
    return PyTuple_GET_SIZE(((ExportsObject *)op)->names);
}

static int exports_contains(PyObject *op, PyObject *name)
{
    return PyDict_Contains(((ExportsObject *)op)->dict, name);
}

static PyObject *exports_iter(PyObject *op)
{
    return PyObject_GetIter(((ExportsObject *)op)->names);
}

static PyObject *exports_dir(PyObject *op, PyObject *unused)
{
    (void)unused;
    return PySequence_List(((ExportsObject *)op)->names);
}

static PyObject *exports_repr(PyObject *op)
{
    return PyUnicode_FromFormat("<wasmkiln.Exports %R>", ((ExportsObject *)op)->names);
}

static int exports_traverse(PyObject *op, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(((ExportsObject *)op)->names);
    Py_VISIT(((ExportsObject *)op)->dict);
    return 0;
}

static int exports_clear(PyObject *op)
{
    Py_CLEAR(((ExportsObject *)op)->names);
    Py_CLEAR(((ExportsObject *)op)->dict);
    return 0;
}

static void exports_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    exports_clear(op);
    PyObject_GC_Del(op);
    Py_DECREF(type);
}

static PyObject *exports_keys(PyObject *op, PyObject *unused)
{
    (void)unused;
    return PySequence_List(((ExportsObject *)op)->names);
}

static PyObject *exports_values(PyObject *op, PyObject *unused)
{
    (void)unused;
    ExportsObject *ex = (ExportsObject *)op;
    PyObject *list = PyList_New(PyTuple_GET_SIZE(ex->names));
    for (Py_ssize_t i = 0; list && i < PyTuple_GET_SIZE(ex->names); i++)
        PyList_SET_ITEM(list, i, Py_NewRef(PyDict_GetItem(ex->dict, PyTuple_GET_ITEM(ex->names, i))));
    return list;
}

static PyObject *exports_items(PyObject *op, PyObject *unused)
{
    (void)unused;
    ExportsObject *ex = (ExportsObject *)op;
    PyObject *list = PyList_New(PyTuple_GET_SIZE(ex->names));
    for (Py_ssize_t i = 0; list && i < PyTuple_GET_SIZE(ex->names); i++) {
        PyObject *name = PyTuple_GET_ITEM(ex->names, i);
        PyObject *pair = PyTuple_Pack(2, name, PyDict_GetItem(ex->dict, name));
        if (!pair) Py_CLEAR(list);
        else PyList_SET_ITEM(list, i, pair);
    }
    return list;
}

static PyObject *exports_get(PyObject *op, PyObject *const *args, Py_ssize_t n)
{
    if (n < 1 || n > 2) {
        PyErr_SetString(PyExc_TypeError, "get(name, default=None)");
        return NULL;
    }
    PyObject *r = PyDict_GetItemWithError(((ExportsObject *)op)->dict, args[0]);
    if (r) return Py_NewRef(r);
    return PyErr_Occurred() ? NULL : Py_NewRef(n == 2 ? args[1] : Py_None);
}

/* Exports are read-only: say so instead of "object has no attribute". */
static int exports_setattro(PyObject *op, PyObject *name, PyObject *value)
{
    (void)op;
    (void)value;
    PyErr_Format(PyExc_AttributeError, "exports are read-only: cannot %s export %R",
                 value ? "assign" : "delete", name);
    return -1;
}

static PyMethodDef exports_methods[] = {
    {"__dir__", exports_dir, METH_NOARGS, "The export names."},
    {"keys", exports_keys, METH_NOARGS, "The export names, in export order."},
    {"values", exports_values, METH_NOARGS, "The exported objects, in export order."},
    {"items", exports_items, METH_NOARGS, "(name, object) pairs, in export order."},
    {"get", (PyCFunction)(void (*)(void))exports_get, METH_FASTCALL,
     "get(name, default=None): the export `name`, or default."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot exports_slots[] = {
    {Py_tp_doc, "The exports of an instance: exports.name or exports['name'] is a Function, "
                "Memory, Global or Table; len(), iteration (names, in export order), 'name' in "
                "exports and dir() list them."},
    {Py_tp_getattro, exports_getattro},
    {Py_tp_setattro, exports_setattro},
    {Py_mp_subscript, exports_subscript},
    {Py_mp_length, exports_len},
    {Py_sq_length, exports_len},
    {Py_sq_contains, exports_contains},
    {Py_tp_iter, exports_iter},
    {Py_tp_repr, exports_repr},
    {Py_tp_methods, exports_methods},
    {Py_tp_traverse, exports_traverse},
    {Py_tp_clear, exports_clear},
    {Py_tp_dealloc, exports_dealloc},
    {0, NULL},
};

static PyType_Spec exports_spec = {
    .name = "wasmkiln.Exports",
    .basicsize = sizeof(ExportsObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE |
             Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = exports_slots,
};

int py_exports_init(PyObject *mod, WkState *st)
{
    st->exports_type = py_add_type(mod, &exports_spec, NULL);
    return st->exports_type ? 0 : -1;
}
