/* The Global type: an exported (or host-made) global with .value get/set, .mutable, .type. */
#include "py_internal.h"

PyObject *py_global_wrap(WkState *st, PyObject *store, wk_global_t *global)
{
    GlobalObject *self = PyObject_GC_New(GlobalObject, st->global_type);
    if (!self) return NULL;
    self->store = Py_NewRef(store);
    self->global = global;
    self->weakrefs = NULL;
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

/* Global(value, mutable=False): a new global (in a store of its own) to import. */
static PyObject *global_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"value", "mutable", NULL};
    WkState *st = py_state_of_type(type);
    PyObject *value;
    int mutable_ = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!|p:Global", kwlist, st->value_type, &value,
                                     &mutable_))
        return NULL;
    wk_globaltype_t gt = {((ValueObject *)value)->val.kind, mutable_ != 0};
    PyObject *store = py_store_new(st);
    wk_val_t init;
    if (!store || py_value_from_py(st, (StoreObject *)store, value, gt.kind, NULL, &init) < 0) {
        Py_XDECREF(store);
        return NULL;
    }
    wk_global_t *g;
    wk_error_t *err = wk_global_new(py_store_wk(store), &gt, init, &g);
    PyObject *r = err ? py_errors_raise(st, err) : py_global_wrap(st, store, g);
    Py_DECREF(store);
    return r;
}

PY_HOLDER_LAYOUT(GlobalObject, store);

static PyObject *global_get_value(PyObject *op, void *closure)
{
    (void)closure;
    GlobalObject *g = (GlobalObject *)op;
    wk_val_t v = wk_global_get(g->global);
    return py_value_to_py(py_state_of(op), g->store, &v);
}

static int global_set_value(PyObject *op, PyObject *value, void *closure)
{
    (void)closure;
    GlobalObject *g = (GlobalObject *)op;
    WkState *st = py_state_of(op);
    wk_globaltype_t t = wk_global_type(g->global);
    if (!value) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete a global's value");
        return -1;
    }
    if (!t.mutable_) {
        PyErr_SetString(PyExc_AttributeError, "the global is immutable");
        return -1;
    }
    wk_val_t v;
    if (py_value_from_py(st, (StoreObject *)g->store, value, t.kind, NULL, &v) < 0) return -1;
    if (py_store_enter((StoreObject *)g->store) < 0) return -1;
    wk_error_t *err = wk_global_set(g->global, v);
    py_store_leave((StoreObject *)g->store);
    return err ? (py_errors_raise(st, err), -1) : 0;
}

static PyObject *global_get_mutable(PyObject *op, void *closure)
{
    (void)closure;
    return PyBool_FromLong(wk_global_type(((GlobalObject *)op)->global).mutable_);
}

static PyObject *global_get_type(PyObject *op, void *closure)
{
    (void)closure;
    wk_externtype_t t = {.kind = WK_EXTERN_GLOBAL};
    t.of.global = wk_global_type(((GlobalObject *)op)->global);
    return py_types_extern(py_state_of(op), &t);
}

static PyObject *global_repr(PyObject *op)
{
    wk_globaltype_t t = wk_global_type(((GlobalObject *)op)->global);
    PyObject *v = global_get_value(op, NULL);
    if (!v) return NULL;
    PyObject *r = PyUnicode_FromFormat("<wasmkiln.Global %s%s = %R>", t.mutable_ ? "mut " : "",
                                       py_valkind_name(t.kind), v);
    Py_DECREF(v);
    return r;
}

static PyGetSetDef global_getset[] = {
    {"value", global_get_value, global_set_value,
     "The current value (settable when the global is mutable; AttributeError otherwise).",
     NULL},
    {"mutable", global_get_mutable, NULL, "True when the global can be set.", NULL},
    {"type", global_get_type, NULL, "GlobalType(type, mutable).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef global_members[] = {
    PY_WEAKREFS_MEMBER(GlobalObject),
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot global_slots[] = {
    {Py_tp_doc, "Global(value, mutable=False)\n--\n\nA WebAssembly global. Exported ones come "
                "from instance.exports; Global(Value.i32(1), mutable=True) makes one to import."},
    {Py_tp_new, global_new},
    {Py_tp_traverse, py_holder_traverse},
    {Py_tp_clear, py_holder_clear},
    {Py_tp_dealloc, py_holder_dealloc},
    {Py_tp_members, global_members},
    {Py_tp_repr, global_repr},
    {Py_tp_getset, global_getset},
    {0, NULL},
};

static PyType_Spec global_spec = {
    .name = "wasmkiln.Global",
    .basicsize = sizeof(GlobalObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = global_slots,
};

int py_global_init(PyObject *mod, WkState *st)
{
    st->global_type = py_add_type(mod, &global_spec, NULL);
    return st->global_type ? 0 : -1;
}
