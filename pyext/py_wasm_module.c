/* The Module type: a compiled module (compile once, instantiate many times) and its import
 * and export declarations. */
#include "py_internal.h"

/* The binary module (a bytes object) of text, a str in the text format. */
static PyObject *text_to_bytes(WkState *st, PyObject *text)
{
    Py_ssize_t len;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &len);
    if (!utf8) return NULL;
    uint8_t *wasm = NULL;
    size_t size = 0;
    wk_error_t *err;
    Py_BEGIN_ALLOW_THREADS
    err = wk_wat2wasm(utf8, (size_t)len, &wasm, &size);
    Py_END_ALLOW_THREADS
    if (err) return py_errors_raise(st, err);
    PyObject *bytes = PyBytes_FromStringAndSize((const char *)wasm, (Py_ssize_t)size);
    wk_wasm_delete(wasm);
    return bytes;
}

PyObject *py_wasm_module_wat2wasm(PyObject *mod, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "wat2wasm() expects a str, got %s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    return text_to_bytes(PyModule_GetState(mod), text);
}

/* A str given to Module()/Instance() is the text format. */
static PyObject *compile_text(WkState *st, PyObject *text)
{
    PyObject *bytes = text_to_bytes(st, text);
    if (!bytes) return NULL;
    PyObject *m = py_wasm_module_compile(st, bytes);
    Py_DECREF(bytes);
    return m;
}

/* A new Module owning module (deleted on failure). */
static PyObject *module_wrap(WkState *st, wk_module_t *module)
{
    ModuleObject *self = PyObject_New(ModuleObject, st->module_type);
    if (!self) {
        wk_module_delete(module);
        return NULL;
    }
    self->module = module;
    self->weakrefs = NULL;
    return (PyObject *)self;
}

/* A Module made by make (wk_module_new or wk_module_deserialize) from buf, which it releases;
 * compiles with the GIL released. NULL with an exception. */
static PyObject *module_from_buffer(WkState *st, Py_buffer *buf,
                                    wk_error_t *(*make)(wk_engine_t *, const uint8_t *, size_t,
                                                        wk_module_t **))
{
    wk_module_t *module = NULL;
    wk_error_t *err;
    wk_engine_t *engine = st->engine; /* read with the GIL held */
    Py_BEGIN_ALLOW_THREADS
    err = make(engine, buf->buf, (size_t)buf->len, &module);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(buf);
    if (err) return py_errors_raise(st, err);
    return module_wrap(st, module);
}

PyObject *py_wasm_module_compile(WkState *st, PyObject *bytes)
{
    if (PyUnicode_Check(bytes)) return compile_text(st, bytes);
    Py_buffer buf;
    if (PyObject_GetBuffer(bytes, &buf, PyBUF_SIMPLE) < 0) {
        PyErr_Format(PyExc_TypeError, "expected a bytes-like object or a Module, got %s",
                     Py_TYPE(bytes)->tp_name);
        return NULL;
    }
    return module_from_buffer(st, &buf, wk_module_new);
}

static PyObject *module_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"bytes", NULL};
    PyObject *bytes;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:Module", kwlist, &bytes)) return NULL;
    return py_wasm_module_compile(py_state_of_type(type), bytes);
}

static void module_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_ClearWeakRefs(op);
    wk_module_delete(((ModuleObject *)op)->module);
    PyObject_Free(op);
    Py_DECREF(type);
}

/* One ImportType of the module. */
static PyObject *import_at(WkState *st, const wk_module_t *m, size_t i)
{
    wk_name_t mod, name;
    wk_externtype_t type;
    wk_module_import(m, i, &mod, &name, &type);
    PyObject *items[] = {
        PyUnicode_DecodeUTF8(mod.data, (Py_ssize_t)mod.size, "surrogateescape"),
        PyUnicode_DecodeUTF8(name.data, (Py_ssize_t)name.size, "surrogateescape"),
        py_types_extern(st, &type),
    };
    return py_types_make(st->importtype_type, 3, items);
}

/* One ExportType of the module. */
static PyObject *export_at(WkState *st, const wk_module_t *m, size_t i)
{
    wk_name_t name;
    wk_externtype_t type;
    wk_module_export(m, i, &name, &type);
    PyObject *items[] = {
        PyUnicode_DecodeUTF8(name.data, (Py_ssize_t)name.size, "surrogateescape"),
        py_types_extern(st, &type),
    };
    return py_types_make(st->exporttype_type, 2, items);
}

static PyObject *list_of(PyObject *op, size_t n,
                         PyObject *(*item)(WkState *, const wk_module_t *, size_t))
{
    WkState *st = py_state_of(op);
    const wk_module_t *m = ((ModuleObject *)op)->module;
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *x = item(st, m, i);
        if (!x) Py_CLEAR(list);
        else PyList_SET_ITEM(list, (Py_ssize_t)i, x);
    }
    return list;
}

static PyObject *module_get_imports(PyObject *op, void *closure)
{
    (void)closure;
    return list_of(op, wk_module_import_count(((ModuleObject *)op)->module), import_at);
}

static PyObject *module_get_exports(PyObject *op, void *closure)
{
    (void)closure;
    return list_of(op, wk_module_export_count(((ModuleObject *)op)->module), export_at);
}

PyObject *py_wasm_module_validate(PyObject *cls, PyObject *arg)
{
    (void)cls;
    Py_buffer buf;
    if (PyObject_GetBuffer(arg, &buf, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        Py_RETURN_FALSE;
    }
    wk_error_t *err;
    Py_BEGIN_ALLOW_THREADS
    err = wk_module_validate(buf.buf, (size_t)buf.len);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    bool ok = err == NULL;
    wk_error_delete(err);
    return PyBool_FromLong(ok);
}

static PyObject *module_instantiate(PyObject *op, PyObject *args, PyObject *kwds)
{
    WkState *st = py_state_of(op);
    PyObject *imports = Py_None;
    static char *kwlist[] = {"imports", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:instantiate", kwlist, &imports))
        return NULL;
    return PyObject_CallFunctionObjArgs((PyObject *)st->instance_type, op, imports, NULL);
}

static PyObject *module_wait_optimized(PyObject *op, PyObject *unused)
{
    (void)unused;
    wk_module_t *m = ((ModuleObject *)op)->module;
    bool optimized;
    Py_BEGIN_ALLOW_THREADS
    optimized = wk_module_wait_optimized(m);
    Py_END_ALLOW_THREADS
    return PyBool_FromLong(optimized);
}

static PyObject *module_serialize(PyObject *op, PyObject *unused)
{
    (void)unused;
    uint8_t *bytes = NULL;
    size_t size = 0;
    wk_error_t *err;
    Py_BEGIN_ALLOW_THREADS
    err = wk_module_serialize(((ModuleObject *)op)->module, &bytes, &size);
    Py_END_ALLOW_THREADS
    if (err) return py_errors_raise(py_state_of(op), err);
    PyObject *r = PyBytes_FromStringAndSize((const char *)bytes, (Py_ssize_t)size);
    wk_bytes_delete(bytes);
    return r;
}

static PyObject *module_deserialize(PyObject *cls, PyObject *arg)
{
    WkState *st = py_state_of_type((PyTypeObject *)cls);
    Py_buffer buf;
    if (PyObject_GetBuffer(arg, &buf, PyBUF_SIMPLE) < 0) return NULL;
    return module_from_buffer(st, &buf, wk_module_deserialize);
}

static PyObject *module_custom_sections(PyObject *op, PyObject *arg)
{
    Py_ssize_t len;
    const char *name = PyUnicode_Check(arg) ? PyUnicode_AsUTF8AndSize(arg, &len) : NULL;
    if (!name) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "custom_sections(name: str)");
        return NULL;
    }
    const wk_module_t *m = ((ModuleObject *)op)->module;
    size_t n = wk_module_custom_sections(m, name, (size_t)len, NULL, 0);
    wk_name_t *secs = PyMem_Calloc(n ? n : 1, sizeof *secs);
    if (!secs) return PyErr_NoMemory();
    wk_module_custom_sections(m, name, (size_t)len, secs, n);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *b = PyBytes_FromStringAndSize(secs[i].data, (Py_ssize_t)secs[i].size);
        if (!b) Py_CLEAR(list);
        else PyList_SET_ITEM(list, (Py_ssize_t)i, b);
    }
    PyMem_Free(secs);
    return list;
}

static PyObject *module_repr(PyObject *op)
{
    const wk_module_t *m = ((ModuleObject *)op)->module;
    return PyUnicode_FromFormat("<wasmkiln.Module: %zu imports, %zu exports>",
                                wk_module_import_count(m), wk_module_export_count(m));
}

static PyMethodDef module_methods[] = {
    {"validate", py_wasm_module_validate, METH_O | METH_STATIC,
     "validate(bytes, /)\n--\n\nTrue when bytes is a valid module, else False (never raises)."},
    {"instantiate", (PyCFunction)(void (*)(void))module_instantiate,
     METH_VARARGS | METH_KEYWORDS,
     "instantiate($self, imports=None)\n--\n\nA new Instance of this module (same as "
     "Instance(module, imports))."},
    {"wait_optimized", module_wait_optimized, METH_NOARGS,
     "wait_optimized($self, /)\n--\n\nWith the 'tiered' strategy (see configure()), waits "
     "until the\nbackground optimising compile is done; True when the module and its "
     "instances\nnow run optimised code (always for 'o2', never for 'fast')."},
    {"serialize", module_serialize, METH_NOARGS,
     "serialize($self, /)\n--\n\nThe module with its machine code as bytes, for "
     "Module.deserialize in a later run\n(ahead-of-time compilation in a build step)."},
    {"deserialize", module_deserialize, METH_O | METH_CLASS,
     "deserialize(bytes, /)\n--\n\nThe module serialize() made, without compiling. Raises "
     "DecodeError for other bytes\nand wasmkiln.Error, saying which, for bytes of another "
     "wasmkiln build, LLVM or CPU."},
    {"custom_sections", module_custom_sections, METH_O,
     "custom_sections($self, name, /)\n--\n\nThe contents (bytes) of the custom sections "
     "called name, in module order."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef module_getset[] = {
    {"imports", module_get_imports, NULL,
     "List of ImportType(module, name, type), in declaration order.", NULL},
    {"exports", module_get_exports, NULL, "List of ExportType(name, type), in declaration order.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef module_members[] = {
    PY_WEAKREFS_MEMBER(ModuleObject),
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot module_slots[] = {
    {Py_tp_doc, "Module(bytes)\n--\n\n"
                "A compiled WebAssembly module.\n\n"
                "bytes is any bytes-like object holding a binary module, or a str holding\n"
                "a module in the text format (converted by wat2wasm); it is decoded,\n"
                "validated and compiled to machine code once (the GIL is released meanwhile),\n"
                "then instantiated any number of times with Instance(module, imports) or\n"
                "module.instantiate(imports).\n\n"
                "Raises CompileError (DecodeError or ValidationError) with .message and\n"
                ".offset."},
    {Py_tp_new, module_new},
    {Py_tp_dealloc, module_dealloc},
    {Py_tp_members, module_members},
    {Py_tp_repr, module_repr},
    {Py_tp_methods, module_methods},
    {Py_tp_getset, module_getset},
    {0, NULL},
};

static PyType_Spec module_spec = {
    .name = "wasmkiln.Module",
    .basicsize = sizeof(ModuleObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = module_slots,
};

int py_wasm_module_init(PyObject *mod, WkState *st)
{
    st->module_type = py_add_type(mod, &module_spec, NULL);
    return st->module_type ? 0 : -1;
}
