/* The extension module wasmkiln._wasmkiln: multi-phase init, the module state (one engine,
 * every type and exception) and the module-level validate(). */
#include "py_internal.h"

static struct PyModuleDef wk_moduledef;

WkState *py_state_of_type(PyTypeObject *type)
{
    PyObject *mod = PyType_GetModuleByDef(type, &wk_moduledef);
    assert(mod);
    return PyModule_GetState(mod);
}

WkState *py_state_of(PyObject *obj)
{
    return py_state_of_type(Py_TYPE(obj));
}

PyTypeObject *py_add_type(PyObject *mod, PyType_Spec *spec, PyObject *base)
{
    PyObject *type = PyType_FromModuleAndSpec(mod, spec, base);
    if (!type) return NULL;
    if (PyModule_AddType(mod, (PyTypeObject *)type) < 0) {
        Py_DECREF(type);
        return NULL;
    }
    return (PyTypeObject *)type;
}

int py_holder_traverse(PyObject *op, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(((HolderObject *)op)->ref);
    return 0;
}

int py_holder_clear(PyObject *op)
{
    Py_CLEAR(((HolderObject *)op)->ref);
    return 0;
}

void py_holder_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    py_holder_clear(op);
    PyObject_GC_Del(op);
    Py_DECREF(type);
}

PyDoc_STRVAR(validate_doc, "validate(bytes, /)\n--\n\n"
                           "True when bytes (any bytes-like object) is a valid WebAssembly "
                           "module, else False.\nNever raises for bad input.");

static PyMethodDef wk_methods[] = {
    {"validate", py_wasm_module_validate, METH_O, validate_doc},
    {NULL, NULL, 0, NULL},
};

/* The parts of the module, in dependency order (types before the types using them). */
static int (*const INITS[])(PyObject *, WkState *) = {
    py_errors_init, py_value_init,  py_types_init, py_store_init,   py_wasm_module_init,
    py_func_init,   py_memory_init, py_view_init,  py_global_init,  py_table_init,
    py_exports_init, py_instance_init,
};

static int wk_exec(PyObject *mod)
{
    WkState *st = PyModule_GetState(mod);
    st->engine = wk_engine_new();
    if (!st->engine) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < sizeof INITS / sizeof INITS[0]; i++)
        if (INITS[i](mod, st) < 0) return -1;
    return 0;
}

/* Every PyObject * field of WkState, in order, for traverse and clear. */
static PyObject **state_objects(WkState *st, size_t *n)
{
    *n = (sizeof *st - offsetof(WkState, store_type)) / sizeof(PyObject *);
    return (PyObject **)&st->store_type;
}

static int wk_traverse(PyObject *mod, visitproc visit, void *arg)
{
    size_t n;
    PyObject **objs = state_objects(PyModule_GetState(mod), &n);
    for (size_t i = 0; i < n; i++)
        Py_VISIT(objs[i]);
    return 0;
}

static int wk_clear(PyObject *mod)
{
    size_t n;
    PyObject **objs = state_objects(PyModule_GetState(mod), &n);
    for (size_t i = 0; i < n; i++)
        Py_CLEAR(objs[i]);
    return 0;
}

static void wk_free(void *mod)
{
    wk_clear(mod);
    WkState *st = PyModule_GetState(mod);
    wk_engine_delete(st->engine);
    st->engine = NULL;
}

static PyModuleDef_Slot wk_slots[] = {
    {Py_mod_exec, wk_exec},
    {0, NULL},
};

PyDoc_STRVAR(wk_doc, "Native part of wasmkiln: WebAssembly compiled to machine code by LLVM.");

static struct PyModuleDef wk_moduledef = {
    PyModuleDef_HEAD_INIT,
    .m_name = "wasmkiln._wasmkiln",
    .m_doc = wk_doc,
    .m_size = sizeof(WkState),
    .m_methods = wk_methods,
    .m_slots = wk_slots,
    .m_traverse = wk_traverse,
    .m_clear = wk_clear,
    .m_free = wk_free,
};

PyMODINIT_FUNC PyInit__wasmkiln(void)
{
    return PyModuleDef_Init(&wk_moduledef);
}
