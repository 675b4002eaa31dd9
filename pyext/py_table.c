/* The Table type: an exported (or host-made) table with len, get/set by index and grow. */
#include <string.h>

#include "py_internal.h"

PyObject *py_table_wrap(WkState *st, PyObject *store, wk_table_t *table)
{
    TableObject *self = PyObject_GC_New(TableObject, st->table_type);
    if (!self) return NULL;
    self->store = Py_NewRef(store);
    self->table = table;
    self->weakrefs = NULL;
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

/* Table(minimum, maximum=None, element='funcref'): a new table, all null, to import. */
static PyObject *table_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"minimum", "maximum", "element", NULL};
    WkState *st = py_state_of_type(type);
    unsigned int min;
    PyObject *max = Py_None;
    const char *elem = "funcref";
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "I|Os:Table", kwlist, &min, &max, &elem))
        return NULL;
    wk_tabletype_t tt = {WK_FUNCREF, {min, 0, max != Py_None}};
    if (strcmp(elem, "externref") == 0) tt.elem = WK_EXTERNREF;
    else if (strcmp(elem, "funcref") != 0)
        return PyErr_Format(PyExc_ValueError, "element must be 'funcref' or 'externref'");
    if (tt.limits.has_max) {
        tt.limits.max = (uint32_t)PyLong_AsUnsignedLong(max);
        if (PyErr_Occurred()) return NULL;
    }
    PyObject *store = py_store_new(st);
    if (!store) return NULL;
    wk_val_t init = {.kind = tt.elem};
    init.of.externref = NULL;
    wk_table_t *t;
    wk_error_t *err = wk_table_new(py_store_wk(store), &tt, init, &t);
    PyObject *r = err ? py_errors_raise(st, err) : py_table_wrap(st, store, t);
    Py_DECREF(store);
    return r;
}

PY_HOLDER_LAYOUT(TableObject, store);

static Py_ssize_t table_len(PyObject *op)
{
    return (Py_ssize_t)wk_table_size(((TableObject *)op)->table);
}

/* Normalizes key to an index in the table; -1 with IndexError/TypeError. */
static int table_index(PyObject *op, PyObject *key, uint32_t *out)
{
    Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
    if (i == -1 && PyErr_Occurred()) return -1;
    Py_ssize_t n = table_len(op);
    if (i < 0) i += n;
    if (i < 0 || i >= n) {
        PyErr_SetString(PyExc_IndexError, "table index out of range");
        return -1;
    }
    *out = (uint32_t)i;
    return 0;
}

/* table[a:b:step] as a list. */
static PyObject *table_slice(PyObject *op, PyObject *key)
{
    TableObject *t = (TableObject *)op;
    Py_ssize_t start, stop, step;
    if (PySlice_Unpack(key, &start, &stop, &step) < 0) return NULL;
    Py_ssize_t n = PySlice_AdjustIndices(table_len(op), &start, &stop, step);
    PyObject *list = PyList_New(n);
    for (Py_ssize_t k = 0; list && k < n; k++) {
        wk_val_t v;
        PyObject *x = wk_table_get(t->table, (uint32_t)(start + k * step), &v)
                          ? py_value_to_py(py_state_of(op), t->store, &v)
                          : PyErr_Format(PyExc_IndexError, "table index out of range");
        if (!x) Py_CLEAR(list);
        else PyList_SET_ITEM(list, k, x);
    }
    return list;
}

static PyObject *table_subscript(PyObject *op, PyObject *key)
{
    TableObject *t = (TableObject *)op;
    uint32_t i;
    wk_val_t v;
    if (PySlice_Check(key)) return table_slice(op, key);
    if (table_index(op, key, &i) < 0) return NULL;
    if (!wk_table_get(t->table, i, &v)) {
        PyErr_SetString(PyExc_IndexError, "table index out of range");
        return NULL;
    }
    return py_value_to_py(py_state_of(op), t->store, &v);
}

/* Converts value to an element of the table's type; -1 with an exception. */
static int table_elem(TableObject *t, PyObject *value, wk_val_t *out)
{
    wk_tabletype_t tt = wk_table_type(t->table);
    return py_value_from_py(py_state_of((PyObject *)t), (StoreObject *)t->store, value, tt.elem,
                         NULL, out);
}

static int table_ass_subscript(PyObject *op, PyObject *key, PyObject *value)
{
    TableObject *t = (TableObject *)op;
    uint32_t i;
    wk_val_t v;
    if (!value) {
        PyErr_SetString(PyExc_TypeError, "cannot delete table elements (assign None)");
        return -1;
    }
    if (table_index(op, key, &i) < 0 || table_elem(t, value, &v) < 0) return -1;
    if (py_store_enter((StoreObject *)t->store) < 0) return -1;
    bool ok = wk_table_set(t->table, i, v);
    py_store_leave((StoreObject *)t->store);
    if (!ok) PyErr_SetString(PyExc_IndexError, "table index out of range");
    return ok ? 0 : -1;
}

static PyObject *table_grow(PyObject *op, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"delta", "init", NULL};
    TableObject *t = (TableObject *)op;
    unsigned int delta;
    PyObject *init = Py_None;
    wk_val_t v;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "I|O:grow", kwlist, &delta, &init) ||
        table_elem(t, init, &v) < 0)
        return NULL;
    uint32_t prev = 0;
    if (py_store_enter((StoreObject *)t->store) < 0) return NULL;
    bool ok = wk_table_grow(t->table, delta, v, &prev);
    py_store_leave((StoreObject *)t->store);
    if (!ok)
        return PyErr_Format(py_state_of(op)->error, "cannot grow table of %zd elements by %u",
                            table_len(op), delta);
    return PyLong_FromUnsignedLong(prev);
}

/* Iteration: the elements in order (a snapshot of the current size). */
static PyObject *table_iter(PyObject *op)
{
    PyObject *all = PySlice_New(NULL, NULL, NULL);
    PyObject *list = all ? table_slice(op, all) : NULL;
    Py_XDECREF(all);
    PyObject *it = list ? PyObject_GetIter(list) : NULL;
    Py_XDECREF(list);
    return it;
}

static PyObject *table_get_type(PyObject *op, void *closure)
{
    (void)closure;
    wk_externtype_t t = {.kind = WK_EXTERN_TABLE};
    t.of.table = wk_table_type(((TableObject *)op)->table);
    return py_types_extern(py_state_of(op), &t);
}

static PyObject *table_repr(PyObject *op)
{
    wk_tabletype_t tt = wk_table_type(((TableObject *)op)->table);
    return PyUnicode_FromFormat("<wasmkiln.Table %s[%zd]>", py_valkind_name(tt.elem),
                                table_len(op));
}

static PyMethodDef table_methods[] = {
    {"grow", (PyCFunction)(void (*)(void))table_grow, METH_VARARGS | METH_KEYWORDS,
     "grow($self, delta, init=None)\n--\n\nAdds delta elements set to init; returns the "
     "previous size. Raises wasmkiln.Error past the maximum."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef table_getset[] = {
    {"type", table_get_type, NULL, "TableType(element, minimum, maximum).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef table_members[] = {
    PY_WEAKREFS_MEMBER(TableObject),
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot table_slots[] = {
    {Py_tp_doc, "Table(minimum, maximum=None, element='funcref')\n--\n\nA WebAssembly table. "
                "len(table); table[i] is a Function (funcref), any object (externref) or None "
                "(null); table[a:b] a list; iteration; table[i] = value; "
                "table.grow(delta, init=None)."},
    {Py_tp_new, table_new},
    {Py_tp_traverse, py_holder_traverse},
    {Py_tp_clear, py_holder_clear},
    {Py_tp_dealloc, py_holder_dealloc},
    {Py_tp_members, table_members},
    {Py_tp_repr, table_repr},
    {Py_mp_length, table_len},
    {Py_mp_subscript, table_subscript},
    {Py_tp_iter, table_iter},
    {Py_mp_ass_subscript, table_ass_subscript},
    {Py_tp_methods, table_methods},
    {Py_tp_getset, table_getset},
    {0, NULL},
};

static PyType_Spec table_spec = {
    .name = "wasmkiln.Table",
    .basicsize = sizeof(TableObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = table_slots,
};

int py_table_init(PyObject *mod, WkState *st)
{
    st->table_type = py_add_type(mod, &table_spec, NULL);
    return st->table_type ? 0 : -1;
}
