/* WASI from Python: the WasiConfig type (arguments, environment, preopens, standard streams)
 * over wk_wasi_config_t, and the Wasi type (instance.wasi: run(), captured output, the exit
 * code) over wk_wasi_t. */
#include "py_internal.h"

typedef struct {
    PyObject_HEAD
    wk_wasi_config_t *cfg;
    PyObject *files[3]; /* stdin (read at construction: unused), stdout, stderr objects */
} WasiConfigObject;

typedef struct {
    PyObject_HEAD
    PyObject *store;
    PyObject *config;
    wk_wasi_t *wasi;
    wk_instance_t *inst;
} WasiObject;

/* ---- WasiConfig -------------------------------------------------------------------------- */

/* A str, bytes or os.PathLike as a new bytes object (file system encoding), or NULL. */
static PyObject *fs_bytes(PyObject *obj)
{
    PyObject *b = NULL;
    return PyUnicode_FSConverter(obj, &b) ? b : NULL;
}

static int set_argv(wk_wasi_config_t *cfg, PyObject *argv)
{
    PyObject *seq = PySequence_Fast(argv, "WasiConfig argv must be a sequence of str");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    const char **v = PyMem_Calloc((size_t)n + 1, sizeof *v);
    int rc = v ? 0 : -1;
    for (Py_ssize_t i = 0; !rc && i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        v[i] = PyUnicode_Check(item) ? PyUnicode_AsUTF8(item) : NULL;
        if (!v[i]) {
            if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "WasiConfig argv[%zd] must be a str", i);
            rc = -1;
        }
    }
    if (!rc && !wk_wasi_config_argv(cfg, (size_t)n, v)) rc = -1;
    if (!v || (rc && !PyErr_Occurred())) PyErr_NoMemory();
    PyMem_Free(v);
    Py_DECREF(seq);
    return rc;
}

static int set_env(wk_wasi_config_t *cfg, PyObject *env)
{
    PyObject *items = PyMapping_Items(env);
    if (!items) return -1;
    int rc = 0;
    for (Py_ssize_t i = 0; !rc && i < PyList_GET_SIZE(items); i++) {
        PyObject *kv = PyList_GET_ITEM(items, i);
        const char *k = PyUnicode_Check(PyTuple_GET_ITEM(kv, 0))
                            ? PyUnicode_AsUTF8(PyTuple_GET_ITEM(kv, 0)) : NULL;
        const char *v = PyUnicode_Check(PyTuple_GET_ITEM(kv, 1))
                            ? PyUnicode_AsUTF8(PyTuple_GET_ITEM(kv, 1)) : NULL;
        if (!k || !v) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "WasiConfig env must map str to str");
            rc = -1;
        } else if (!wk_wasi_config_env(cfg, k, v)) {
            PyErr_NoMemory();
            rc = -1;
        }
    }
    Py_DECREF(items);
    return rc;
}

/* One preopen: guest -> host path or (host path, readonly). */
static int add_preopen(wk_wasi_config_t *cfg, PyObject *guest, PyObject *value)
{
    PyObject *host = value;
    int readonly = 0;
    if (PyTuple_Check(value)) {
        if (!PyArg_ParseTuple(value, "Op;WasiConfig preopens values are a path or (path, readonly)",
                              &host, &readonly))
            return -1;
    }
    PyObject *g = fs_bytes(guest), *h = g ? fs_bytes(host) : NULL;
    int rc = h ? 0 : -1;
    if (h && !wk_wasi_config_preopen(cfg, PyBytes_AS_STRING(h), PyBytes_AS_STRING(g), readonly)) {
        PyErr_NoMemory();
        rc = -1;
    }
    Py_XDECREF(g);
    Py_XDECREF(h);
    return rc;
}

static int set_preopens(wk_wasi_config_t *cfg, PyObject *preopens)
{
    PyObject *items = PyMapping_Items(preopens);
    if (!items) return -1;
    int rc = 0;
    for (Py_ssize_t i = 0; !rc && i < PyList_GET_SIZE(items); i++) {
        PyObject *kv = PyList_GET_ITEM(items, i);
        rc = add_preopen(cfg, PyTuple_GET_ITEM(kv, 0), PyTuple_GET_ITEM(kv, 1));
    }
    Py_DECREF(items);
    return rc;
}

/* The descriptor of a real file object (fileno()), or -1 (no exception) when it has none. */
static int file_fd(PyObject *obj)
{
    PyObject *r = PyObject_CallMethod(obj, "fileno", NULL);
    if (!r) {
        PyErr_Clear();
        return -1;
    }
    int fd = (int)PyLong_AsLong(r);
    Py_DECREF(r);
    if (fd < 0 || PyErr_Occurred()) {
        PyErr_Clear();
        return -1;
    }
    return fd;
}

static int set_stdin(wk_wasi_config_t *cfg, PyObject *obj)
{
    int fd;
    if (PyObject_CheckBuffer(obj)) {
        Py_buffer view;
        if (PyObject_GetBuffer(obj, &view, PyBUF_SIMPLE) < 0) return -1;
        bool ok = wk_wasi_config_stdin_bytes(cfg, view.buf, (size_t)view.len);
        PyBuffer_Release(&view);
        if (!ok) PyErr_NoMemory();
        return ok ? 0 : -1;
    }
    if ((fd = file_fd(obj)) >= 0) {
        wk_wasi_config_stdio(cfg, 0, WK_WASI_STDIO_FD, fd);
        return 0;
    }
    PyObject *data = PyObject_CallMethod(obj, "read", NULL);
    if (!data) return -1;
    if (PyUnicode_Check(data)) Py_SETREF(data, PyUnicode_AsUTF8String(data));
    int rc = data && PyBytes_Check(data) ? set_stdin(cfg, data) : -1;
    if (data && !PyBytes_Check(data) && !PyErr_Occurred())
        PyErr_SetString(PyExc_TypeError, "WasiConfig stdin.read() must return bytes or str");
    Py_XDECREF(data);
    return rc;
}

/* Hands a guest write to a Python file object without fileno(): bytes, or str when the object
 * takes only text. Runs with the GIL released around it. */
static bool write_to_file(void *env, const uint8_t *data, size_t size)
{
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *file = env;
    PyObject *b = PyBytes_FromStringAndSize((const char *)data, (Py_ssize_t)size);
    PyObject *r = b ? PyObject_CallMethod(file, "write", "O", b) : NULL;
    if (!r && b && PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Clear();
        PyObject *s = PyUnicode_DecodeUTF8((const char *)data, (Py_ssize_t)size, "replace");
        r = s ? PyObject_CallMethod(file, "write", "O", s) : NULL;
        Py_XDECREF(s);
    }
    bool ok = r != NULL;
    if (!ok) PyErr_WriteUnraisable(file);
    Py_XDECREF(r);
    Py_XDECREF(b);
    PyGILState_Release(g);
    return ok;
}

static int set_output(WasiConfigObject *self, int fd, PyObject *obj)
{
    if (PyUnicode_Check(obj) && PyUnicode_CompareWithASCIIString(obj, "capture") == 0) {
        wk_wasi_config_stdio(self->cfg, fd, WK_WASI_STDIO_BUFFER, -1);
        return 0;
    }
    if (!PyObject_HasAttrString(obj, "write")) {
        PyErr_Format(PyExc_TypeError,
                     "WasiConfig %s must be None, 'capture' or a file object, got %s",
                     fd == 1 ? "stdout" : "stderr", Py_TYPE(obj)->tp_name);
        return -1;
    }
    self->files[fd] = Py_NewRef(obj);
    int host = file_fd(obj);
    if (host >= 0) wk_wasi_config_stdio(self->cfg, fd, WK_WASI_STDIO_FD, host);
    else wk_wasi_config_output(self->cfg, fd, write_to_file, obj);
    return 0;
}

static int config_init(PyObject *op, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"argv", "env", "preopens", "stdin", "stdout", "stderr", NULL};
    WasiConfigObject *self = (WasiConfigObject *)op;
    PyObject *argv = NULL, *env = NULL, *preopens = NULL, *in = Py_None, *out = Py_None,
             *err = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OOOOOO:WasiConfig", kwlist, &argv, &env,
                                     &preopens, &in, &out, &err))
        return -1;
    if (self->cfg) {
        PyErr_SetString(PyExc_TypeError, "WasiConfig is already initialised");
        return -1;
    }
    if (!(self->cfg = wk_wasi_config_new())) {
        PyErr_NoMemory();
        return -1;
    }
    if ((argv && argv != Py_None && set_argv(self->cfg, argv) < 0) ||
        (env && env != Py_None && set_env(self->cfg, env) < 0) ||
        (preopens && preopens != Py_None && set_preopens(self->cfg, preopens) < 0) ||
        (in != Py_None && set_stdin(self->cfg, in) < 0) ||
        (out != Py_None && set_output(self, 1, out) < 0) ||
        (err != Py_None && set_output(self, 2, err) < 0))
        return -1;
    return 0;
}

static int config_traverse(PyObject *op, visitproc visit, void *arg)
{
    WasiConfigObject *self = (WasiConfigObject *)op;
    Py_VISIT(Py_TYPE(op));
    for (int i = 0; i < 3; i++) Py_VISIT(self->files[i]);
    return 0;
}

static int config_clear(PyObject *op)
{
    WasiConfigObject *self = (WasiConfigObject *)op;
    for (int i = 0; i < 3; i++) Py_CLEAR(self->files[i]);
    return 0;
}

static void config_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    config_clear(op);
    wk_wasi_config_delete(((WasiConfigObject *)op)->cfg);
    PyObject_GC_Del(op);
    Py_DECREF(type);
}

static PyType_Slot config_slots[] = {
    {Py_tp_doc,
     "WasiConfig(argv=(), env={}, preopens={}, stdin=None, stdout=None, stderr=None)\n--\n\n"
     "What a WASI (wasi_snapshot_preview1) guest sees: pass it as Instance(module, imports,\n"
     "wasi=config).\n\n"
     "argv: the arguments (argv[0] is the program name by convention); env: a mapping of\n"
     "str to str (nothing of the host environment is passed on); preopens: guest path ->\n"
     "host directory, or -> (host directory, readonly); the guest reaches only what lies\n"
     "beneath them. stdin: None (inherited), bytes, or a file object. stdout, stderr: None\n"
     "(inherited), a file object, or 'capture' (then instance.wasi.stdout / .stderr are\n"
     "the bytes written)."},
    {Py_tp_init, config_init},
    {Py_tp_traverse, config_traverse},
    {Py_tp_clear, config_clear},
    {Py_tp_dealloc, config_dealloc},
    {0, NULL},
};

static PyType_Spec config_spec = {
    .name = "wasmkiln.WasiConfig",
    .basicsize = sizeof(WasiConfigObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = config_slots,
};

/* ---- Wasi -------------------------------------------------------------------------------- */

PyObject *py_wasi_link(WkState *st, PyObject *config, StoreObject *store, const wk_module_t *m,
                       wk_extern_t *externs)
{
    if (!PyObject_TypeCheck(config, st->wasi_config_type) || !((WasiConfigObject *)config)->cfg) {
        PyErr_Format(PyExc_TypeError, "Instance() wasi must be a WasiConfig, got %s",
                     Py_TYPE(config)->tp_name);
        return NULL;
    }
    wk_wasi_t *wasi = NULL;
    wk_error_t *err = wk_wasi_new(store->store, ((WasiConfigObject *)config)->cfg, &wasi);
    if (err) return py_errors_raise(st, err);
    size_t n = wk_module_import_count(m);
    wk_extern_t *tmp = PyMem_Calloc(n + 1, sizeof *tmp);
    if (!tmp) return PyErr_NoMemory();
    err = wk_wasi_imports(wasi, m, tmp);
    for (size_t i = 0; !err && i < n; i++)
        if (externs[i].kind == 0xFE) externs[i] = tmp[i];
    PyMem_Free(tmp);
    if (err) return py_errors_raise(st, err);
    if (py_store_keep(store, config) < 0) return NULL;
    WasiObject *self = PyObject_GC_New(WasiObject, st->wasi_type);
    if (!self) return NULL;
    self->store = Py_NewRef(store);
    self->config = Py_NewRef(config);
    self->wasi = wasi;
    self->inst = NULL;
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

void py_wasi_bind(PyObject *wasi, wk_instance_t *inst)
{
    ((WasiObject *)wasi)->inst = inst;
}

int py_wasi_flush(PyObject *op)
{
    WasiConfigObject *cfg = (WasiConfigObject *)((WasiObject *)op)->config;
    for (int i = 1; i < 3; i++) {
        if (!cfg->files[i]) continue;
        PyObject *r = PyObject_CallMethod(cfg->files[i], "flush", NULL);
        if (!r) return -1;
        Py_DECREF(r);
    }
    return 0;
}

static PyObject *wasi_run(PyObject *op, PyObject *unused)
{
    (void)unused;
    WasiObject *self = (WasiObject *)op;
    WkState *st = py_state_of(op);
    if (!self->inst) {
        PyErr_SetString(PyExc_RuntimeError, "the instance of this WASI context failed to start");
        return NULL;
    }
    if (py_wasi_flush(op) < 0) return NULL;
    StoreObject *store = (StoreObject *)self->store;
    uint32_t code = 0;
    wk_trap_t *trap;
    if (py_store_enter(store) < 0) return NULL;
    Py_BEGIN_ALLOW_THREADS
    trap = wk_wasi_run(self->wasi, self->inst, &code);
    Py_END_ALLOW_THREADS
    py_store_leave(store);
    if (py_wasi_flush(op) < 0) {
        wk_trap_delete(trap);
        return NULL;
    }
    if (trap) return py_errors_raise_trap(st, trap);
    return PyLong_FromUnsignedLong(code);
}

static PyObject *output(WasiObject *self, int fd)
{
    size_t n;
    const uint8_t *data = wk_wasi_output(self->wasi, fd, &n);
    if (!data) Py_RETURN_NONE;
    return PyBytes_FromStringAndSize((const char *)data, (Py_ssize_t)n);
}

static PyObject *wasi_stdout(PyObject *op, void *closure)
{
    (void)closure;
    return output((WasiObject *)op, 1);
}

static PyObject *wasi_stderr(PyObject *op, void *closure)
{
    (void)closure;
    return output((WasiObject *)op, 2);
}

static PyObject *wasi_exit_code(PyObject *op, void *closure)
{
    (void)closure;
    uint32_t code;
    if (!wk_wasi_exited(((WasiObject *)op)->wasi, &code)) Py_RETURN_NONE;
    return PyLong_FromUnsignedLong(code);
}

static int wasi_traverse(PyObject *op, visitproc visit, void *arg)
{
    WasiObject *self = (WasiObject *)op;
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(self->store);
    Py_VISIT(self->config);
    return 0;
}

static int wasi_clear(PyObject *op)
{
    WasiObject *self = (WasiObject *)op;
    Py_CLEAR(self->store);
    Py_CLEAR(self->config);
    return 0;
}

static void wasi_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    wasi_clear(op);
    PyObject_GC_Del(op);
    Py_DECREF(type);
}

static PyMethodDef wasi_methods[] = {
    {"run", wasi_run, METH_NOARGS,
     "run()\n--\n\nRuns the command's _start export; returns its exit code (0 when _start\n"
     "returns, n after proc_exit(n)). Raises Trap when the guest traps."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef wasi_getset[] = {
    {"stdout", wasi_stdout, NULL, "The bytes written to stdout when it is 'capture', else None.",
     NULL},
    {"stderr", wasi_stderr, NULL, "The bytes written to stderr when it is 'capture', else None.",
     NULL},
    {"exit_code", wasi_exit_code, NULL, "The proc_exit code once the guest exited, else None.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot wasi_slots[] = {
    {Py_tp_doc, "The WASI context of an instance (instance.wasi): run(), stdout, stderr, "
                "exit_code."},
    {Py_tp_traverse, wasi_traverse},
    {Py_tp_clear, wasi_clear},
    {Py_tp_dealloc, wasi_dealloc},
    {Py_tp_methods, wasi_methods},
    {Py_tp_getset, wasi_getset},
    {0, NULL},
};

static PyType_Spec wasi_spec = {
    .name = "wasmkiln.Wasi",
    .basicsize = sizeof(WasiObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE |
             Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = wasi_slots,
};

int py_wasi_init(PyObject *mod, WkState *st)
{
    st->wasi_config_type = py_add_type(mod, &config_spec, NULL);
    st->wasi_type = st->wasi_config_type ? py_add_type(mod, &wasi_spec, NULL) : NULL;
    return st->wasi_type ? 0 : -1;
}
