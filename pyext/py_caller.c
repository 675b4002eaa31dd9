/* The Caller type: what a host function made with access_caller=True receives first, the
 * calling instance's exports and memory, valid only while the host function runs. */
#include "py_internal.h"

typedef struct {
    PyObject_HEAD
    PyObject *store;           /* StoreObject of the host function */
    wk_instance_t *instance;   /* NULL once the host function returned, or without a caller */
    PyObject *exports;         /* made on first use */
} CallerObject;

PY_HOLDER_LAYOUT(CallerObject, store);

PyObject *py_caller_new(WkState *st, PyObject *store, const wk_caller_t *caller)
{
    CallerObject *c = PyObject_GC_New(CallerObject, st->caller_type);
    if (!c) return NULL;
    c->store = Py_NewRef(store);
    c->instance = wk_caller_instance(caller);
    c->exports = NULL;
    PyObject_GC_Track(c);
    return (PyObject *)c;
}

void py_caller_expire(PyObject *op)
{
    ((CallerObject *)op)->instance = NULL;
}

/* The exports of the calling instance; RuntimeError once expired or without a caller. */
static PyObject *caller_exports(CallerObject *c)
{
    if (c->exports) return c->exports;
    if (!c->instance) {
        PyErr_SetString(PyExc_RuntimeError,
                        "Caller used outside its host function's call, or the host function was "
                        "not called from WebAssembly");
        return NULL;
    }
    c->exports = py_exports_new(py_state_of((PyObject *)c), c->store, c->instance);
    return c->exports;
}

static PyObject *caller_get_exports(PyObject *op, void *closure)
{
    (void)closure;
    CallerObject *c = (CallerObject *)op;
    if (!c->instance) Py_CLEAR(c->exports); /* expired: never hand out stale exports */
    PyObject *e = caller_exports(c);
    return e ? Py_NewRef(e) : NULL;
}

static PyObject *caller_get_memory(PyObject *op, void *closure)
{
    PyObject *e = caller_get_exports(op, closure);
    if (!e) return NULL;
    PyObject *r = NULL;
    WkState *st = py_state_of(op);
    ExportsObject *ex = (ExportsObject *)e;
    for (Py_ssize_t i = 0; !r && i < PyTuple_GET_SIZE(ex->names); i++) {
        PyObject *obj = PyDict_GetItem(ex->dict, PyTuple_GET_ITEM(ex->names, i));
        if (obj && Py_IS_TYPE(obj, st->memory_type)) r = Py_NewRef(obj);
    }
    Py_DECREF(e);
    return r ? r : Py_NewRef(Py_None);
}

static PyObject *caller_subscript(PyObject *op, PyObject *name)
{
    PyObject *e = caller_get_exports(op, NULL);
    PyObject *r = e ? PyObject_GetItem(e, name) : NULL;
    Py_XDECREF(e);
    return r;
}

static PyObject *caller_get(PyObject *op, PyObject *const *args, Py_ssize_t n)
{
    if (n < 1 || n > 2) {
        PyErr_SetString(PyExc_TypeError, "get(name, default=None)");
        return NULL;
    }
    PyObject *e = caller_get_exports(op, NULL);
    if (!e) return NULL;
    PyObject *r = PyDict_GetItemWithError(((ExportsObject *)e)->dict, args[0]);
    Py_DECREF(e);
    if (r) return Py_NewRef(r);
    return PyErr_Occurred() ? NULL : Py_NewRef(n == 2 ? args[1] : Py_None);
}

static int caller_traverse(PyObject *op, visitproc visit, void *arg)
{
    Py_VISIT(((CallerObject *)op)->exports);
    return py_holder_traverse(op, visit, arg);
}

static int caller_clear(PyObject *op)
{
    Py_CLEAR(((CallerObject *)op)->exports);
    return py_holder_clear(op);
}

static void caller_dealloc(PyObject *op)
{
    PyObject_GC_UnTrack(op);
    Py_CLEAR(((CallerObject *)op)->exports);
    py_holder_dealloc(op);
}

static PyObject *caller_repr(PyObject *op)
{
    return PyUnicode_FromString(((CallerObject *)op)->instance ? "<wasmkiln.Caller>"
                                                              : "<wasmkiln.Caller (expired)>");
}

static PyGetSetDef caller_getset[] = {
    {"exports", caller_get_exports, NULL, "The calling instance's Exports.", NULL},
    {"memory", caller_get_memory, NULL,
     "The calling instance's first exported Memory, or None.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef caller_methods[] = {
    {"get", (PyCFunction)(void (*)(void))caller_get, METH_FASTCALL,
     "get(name, default=None): the calling instance's export `name`, or default."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot caller_slots[] = {
    {Py_tp_doc, "The caller of a host function made with Function(type, f, "
                "access_caller=True): f(caller, *args). caller.exports, caller.memory and "
                "caller['name'] reach the calling instance; valid only during the call."},
    {Py_tp_getset, caller_getset},
    {Py_tp_methods, caller_methods},
    {Py_mp_subscript, caller_subscript},
    {Py_tp_repr, caller_repr},
    {Py_tp_traverse, caller_traverse},
    {Py_tp_clear, caller_clear},
    {Py_tp_dealloc, caller_dealloc},
    {0, NULL},
};

static PyType_Spec caller_spec = {
    .name = "wasmkiln.Caller",
    .basicsize = sizeof(CallerObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE |
             Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = caller_slots,
};

int py_caller_init(PyObject *mod, WkState *st)
{
    st->caller_type = py_add_type(mod, &caller_spec, NULL);
    return st->caller_type ? 0 : -1;
}
