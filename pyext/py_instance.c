/* The Instance type: instantiation (resolving imports from nested mappings of Python callables
 * and wasmkiln objects), and the instance's exports and memory. An instance lives in the store
 * of the objects it imports (merged into one when they come from several), or in a new store
 * of its own. */
#include "py_internal.h"

static const char *extern_kind_name(wk_externkind_t kind)
{
    static const char *names[] = {"a function", "a table", "a memory", "a global"};
    return kind <= WK_EXTERN_GLOBAL ? names[kind] : "?";
}

/* What obj is, for a link error: "a table", "a memory", ... or its Python type. */
static const char *extern_found(WkState *st, PyObject *obj)
{
    wk_extern_t ext;
    PyObject *store;
    if (py_extern_from_py(st, obj, &ext, &store)) return extern_kind_name(ext.kind);
    return Py_TYPE(obj)->tp_name;
}

/* Imports of one instantiation: the Python objects found and the externs they give. */
typedef struct {
    size_t n;
    PyObject **objs;
    wk_extern_t *externs;
    PyObject *store; /* borrowed from an imported object, or NULL */
    bool wasi;       /* wasi_snapshot_preview1 imports come from a WasiConfig */
} Resolved;

static void resolved_free(Resolved *r)
{
    for (size_t i = 0; r->objs && i < r->n; i++)
        Py_XDECREF(r->objs[i]);
    PyMem_Free(r->objs);
    PyMem_Free(r->externs);
}

/* imports[module][name] (or imports[i] for a list or tuple in import order) as a new
 * reference; LinkError("unknown import") when missing. */
static PyObject *lookup(WkState *st, PyObject *imports, PyObject *mod, PyObject *name, size_t i)
{
    if (imports == Py_None) return py_errors_link(st, "unknown import %R.%R", mod, name);
    if (PyList_Check(imports) || PyTuple_Check(imports)) {
        if ((size_t)PySequence_Size(imports) > i) return PySequence_GetItem(imports, (Py_ssize_t)i);
        return py_errors_link(st, "unknown import %R.%R: %zd imports given in order, the "
                                  "module has more", mod, name, PySequence_Size(imports));
    }
    if (!PyMapping_Check(imports))
        return PyErr_Format(PyExc_TypeError, "imports must be a mapping of module names to "
                                             "mappings of names, or a list in import order; "
                                             "got %s", Py_TYPE(imports)->tp_name);
    PyObject *ns = PyObject_GetItem(imports, mod);
    PyObject *val = ns ? PyObject_GetItem(ns, name) : NULL;
    Py_XDECREF(ns);
    if (!val && PyErr_ExceptionMatches(PyExc_LookupError)) {
        PyErr_Clear();
        return py_errors_link(st, "unknown import %R.%R", mod, name);
    }
    return val;
}

/* Finds import i, checks its kind and notes its store. */
static int resolve_one(WkState *st, const wk_module_t *m, PyObject *imports, Resolved *r,
                       size_t i)
{
    wk_name_t mn, nn;
    wk_externtype_t type;
    wk_module_import(m, i, &mn, &nn, &type);
    static const char WASI[] = "wasi_snapshot_preview1";
    if (r->wasi && mn.size == sizeof WASI - 1 && memcmp(mn.data, WASI, mn.size) == 0) {
        r->externs[i].kind = 0xFE; /* filled by py_wasi_link */
        return 0;
    }
    PyObject *mod = PyUnicode_DecodeUTF8(mn.data, (Py_ssize_t)mn.size, "surrogateescape");
    PyObject *name = mod ? PyUnicode_DecodeUTF8(nn.data, (Py_ssize_t)nn.size, "surrogateescape")
                         : NULL;
    PyObject *val = name ? lookup(st, imports, mod, name, i) : NULL;
    int rc = -1;
    if (!val) goto done;
    r->objs[i] = val;
    PyObject *store = NULL;
    bool ok = py_extern_from_py(st, val, &r->externs[i], &store)
                  ? r->externs[i].kind == type.kind
                  : type.kind == WK_EXTERN_FUNC && PyCallable_Check(val);
    if (!ok) {
        py_errors_link(st, "incompatible import type for %R.%R: expected %s, found %s", mod,
                       name, extern_kind_name(type.kind), extern_found(st, val));
        goto done;
    }
    if (store && r->store) { /* objects made apart link together: one store from now on */
        StoreObject *root = py_store_join(st, (StoreObject *)r->store, (StoreObject *)store);
        if (!root) goto done;
        store = (PyObject *)root;
    }
    if (store) r->store = (PyObject *)py_store_root((StoreObject *)store);
    rc = 0;
done:
    Py_XDECREF(mod);
    Py_XDECREF(name);
    return rc;
}

/* Creates the host functions for the Python callables among the imports, in store. */
static int make_host_funcs(const wk_module_t *m, Resolved *r, StoreObject *store)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->externs[i].kind != 0xFF) continue;
        wk_name_t mn, nn;
        wk_externtype_t type;
        wk_module_import(m, i, &mn, &nn, &type);
        PyObject *mod = PyUnicode_DecodeUTF8(mn.data, (Py_ssize_t)mn.size, "surrogateescape");
        PyObject *field = mod ? PyUnicode_DecodeUTF8(nn.data, (Py_ssize_t)nn.size, "replace")
                              : NULL;
        PyObject *name = field ? PyUnicode_FromFormat("%U.%U", mod, field) : NULL;
        Py_XDECREF(mod);
        Py_XDECREF(field);
        if (!name) return -1;
        wk_func_t *f = py_store_host_func(store, &type.of.func, r->objs[i], name, false);
        Py_DECREF(name);
        if (!f) return -1;
        r->externs[i] = (wk_extern_t){.kind = WK_EXTERN_FUNC, .of.func = f};
    }
    return 0;
}

static int resolve(WkState *st, const wk_module_t *m, PyObject *imports, Resolved *r)
{
    r->n = wk_module_import_count(m);
    r->store = NULL;
    r->objs = PyMem_Calloc(r->n + 1, sizeof *r->objs);
    r->externs = PyMem_Calloc(r->n + 1, sizeof *r->externs);
    if (!r->objs || !r->externs) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < r->n; i++) {
        r->externs[i].kind = 0xFF; /* a Python callable, until make_host_funcs */
        if (resolve_one(st, m, imports, r, i) < 0) return -1;
    }
    return 0;
}

/* The first exported memory, or None. */
static PyObject *first_memory(ExportsObject *ex)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(ex->names); i++) {
        PyObject *obj = PyDict_GetItem(ex->dict, PyTuple_GET_ITEM(ex->names, i));
        if (obj && PyObject_TypeCheck(obj, py_state_of((PyObject *)ex)->memory_type))
            return Py_NewRef(obj);
    }
    Py_RETURN_NONE;
}

/* Instantiates module in store with the resolved imports; a new instance or NULL. */
static PyObject *instantiate(WkState *st, PyObject *module, StoreObject *store, Resolved *r,
                             PyObject *wasi)
{
    wk_instance_t *inst = NULL;
    wk_trap_t *trap = NULL;
    wk_error_t *err;
    if (wasi != Py_None && py_wasi_flush(wasi) < 0) return NULL;
    if (py_store_enter(store) < 0) return NULL;
    Py_BEGIN_ALLOW_THREADS
    err = wk_instance_new(py_store_wk((PyObject *)store), ((ModuleObject *)module)->module, r->externs, r->n,
                          &inst, &trap);
    Py_END_ALLOW_THREADS
    py_store_leave(store);
    if (err) return py_errors_raise(st, err);
    if (trap) return py_errors_raise_trap(st, trap);
    InstanceObject *self = PyObject_GC_New(InstanceObject, st->instance_type);
    if (!self) return NULL;
    self->store = Py_NewRef(store);
    self->module = Py_NewRef(module);
    self->weakrefs = NULL;
    self->instance = inst;
    self->memory = NULL;
    self->wasi = Py_NewRef(wasi);
    if (wasi != Py_None) py_wasi_bind(wasi, inst);
    self->exports = py_exports_new(st, (PyObject *)store, inst);
    PyObject_GC_Track(self);
    if (!self->exports || !(self->memory = first_memory((ExportsObject *)self->exports))) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* Gives every exported function of self the default timeout (seconds). */
static void set_timeout(WkState *st, InstanceObject *self, double timeout)
{
    PyObject *dict = ((ExportsObject *)self->exports)->dict;
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (Py_IS_TYPE(value, st->func_type)) ((FuncObject *)value)->timeout = timeout;
    }
}

/* timeout=None or a positive number of seconds into *out (0: none); -1 with ValueError. */
static int parse_timeout(PyObject *obj, double *out)
{
    *out = 0;
    if (obj == Py_None) return 0;
    double t = PyFloat_AsDouble(obj);
    if (t == -1.0 && PyErr_Occurred()) return -1;
    if (!(t > 0) || t > 1e9) {
        PyErr_SetString(PyExc_ValueError, "Instance() timeout must be a positive number of "
                                          "seconds or None");
        return -1;
    }
    *out = t;
    return 0;
}

/* A limit given as None (unchanged) or an int >= 1 no larger than max into *out. */
static int parse_limit(PyObject *obj, const char *what, unsigned long long max,
                       unsigned long long *out)
{
    if (obj == Py_None) return 0;
    unsigned long long v = PyLong_AsUnsignedLongLong(obj);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
            PyErr_Clear();
            v = 0;
        } else {
            return -1;
        }
    }
    if (v == 0 || v > max) {
        PyErr_Format(PyExc_ValueError, "Instance() %s must be an int from 1 to %llu or None",
                     what, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Sets the limits given (not None) on the store the instance is made in. */
static int set_limits(wk_store_t *store, PyObject *memory, PyObject *table, PyObject *stack)
{
    wk_store_limits_t lim = wk_store_limits(store);
    unsigned long long v = 0;
    if (parse_limit(memory, "memory_limit", UINT64_MAX - 1, &v) < 0) return -1;
    if (memory != Py_None) lim.memory_bytes = v;
    if (parse_limit(table, "table_limit", UINT32_MAX, &v) < 0) return -1;
    if (table != Py_None) lim.table_elements = (uint32_t)v;
    if (parse_limit(stack, "stack_size", SIZE_MAX - 1, &v) < 0) return -1;
    if (stack != Py_None) lim.stack_bytes = (size_t)v;
    wk_store_set_limits(store, &lim);
    return 0;
}

static int instance_set_fuel(PyObject *op, PyObject *value, void *closure);

static PyObject *instance_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"module",      "imports",    "timeout", "memory_limit",
                             "table_limit", "stack_size", "fuel",    "wasi", NULL};
    WkState *st = py_state_of_type(type);
    PyObject *arg, *imports = Py_None, *timeout_obj = Py_None, *config = Py_None, *wasi = NULL;
    PyObject *memory = Py_None, *table = Py_None, *stack = Py_None, *fuel = Py_None;
    double timeout;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OO$OOOOO:Instance", kwlist, &arg, &imports,
                                     &timeout_obj, &memory, &table, &stack, &fuel, &config))
        return NULL;
    if (parse_timeout(timeout_obj, &timeout) < 0) return NULL;
    PyObject *module = Py_IS_TYPE(arg, st->module_type) ? Py_NewRef(arg)
                                                         : py_wasm_module_compile(st, arg);
    if (!module) return NULL;
    Resolved r = {.wasi = config != Py_None};
    PyObject *store = NULL, *self = NULL;
    const wk_module_t *m = ((ModuleObject *)module)->module;
    if (resolve(st, m, imports, &r) < 0) goto done;
    store = r.store ? Py_NewRef(r.store) : py_store_new_in(st, wk_module_engine(m));
    if (!store || make_host_funcs(m, &r, (StoreObject *)store) < 0) goto done;
    if (set_limits(((StoreObject *)store)->store, memory, table, stack) < 0) goto done;
    wasi = r.wasi ? py_wasi_link(st, config, (StoreObject *)store, m, r.externs)
                  : Py_NewRef(Py_None);
    if (wasi) self = instantiate(st, module, (StoreObject *)store, &r, wasi);
    if (self && timeout > 0) set_timeout(st, (InstanceObject *)self, timeout);
    if (self && fuel != Py_None && instance_set_fuel(self, fuel, NULL) < 0) Py_CLEAR(self);
done:
    Py_XDECREF(wasi);
    resolved_free(&r);
    Py_XDECREF(store);
    Py_DECREF(module);
    return self;
}

static int instance_traverse(PyObject *op, visitproc visit, void *arg)
{
    InstanceObject *self = (InstanceObject *)op;
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(self->store);
    Py_VISIT(self->module);
    Py_VISIT(self->exports);
    Py_VISIT(self->memory);
    Py_VISIT(self->wasi);
    return 0;
}

static int instance_clear(PyObject *op)
{
    InstanceObject *self = (InstanceObject *)op;
    Py_CLEAR(self->exports);
    Py_CLEAR(self->memory);
    Py_CLEAR(self->wasi);
    Py_CLEAR(self->module);
    Py_CLEAR(self->store);
    return 0;
}

static void instance_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    PyObject_ClearWeakRefs(op);
    instance_clear(op);
    PyObject_GC_Del(op);
    Py_DECREF(type);
}

static PyObject *instance_repr(PyObject *op)
{
    InstanceObject *self = (InstanceObject *)op;
    return PyUnicode_FromFormat("<wasmkiln.Instance with %zd exports>",
                                PyTuple_GET_SIZE(((ExportsObject *)self->exports)->names));
}

static PyObject *instance_get_fuel(PyObject *op, void *closure)
{
    (void)closure;
    wk_instance_t *inst = ((InstanceObject *)op)->instance;
    if (!wk_engine_fuel(wk_module_engine(((ModuleObject *)((InstanceObject *)op)->module)->module)))
        Py_RETURN_NONE;
    return PyLong_FromUnsignedLongLong(wk_instance_fuel(inst));
}

static int instance_set_fuel(PyObject *op, PyObject *value, void *closure)
{
    (void)closure;
    InstanceObject *self = (InstanceObject *)op;
    if (!value) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete fuel");
        return -1;
    }
    unsigned long long n = PyLong_AsUnsignedLongLong(value);
    if (n == (unsigned long long)-1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError))
            PyErr_SetString(PyExc_ValueError, "fuel must be an int >= 0");
        return -1;
    }
    wk_error_t *err = wk_instance_set_fuel(self->instance, n);
    if (err) {
        py_errors_raise(py_state_of(op), err);
        return -1;
    }
    return 0;
}

static PyGetSetDef instance_getset[] = {
    {"fuel", instance_get_fuel, instance_set_fuel,
     "The operations the instance may still execute (configure(fuel=True) modules), or\n"
     "None without fuel metering. Running out raises Trap with kind 'out_of_fuel';\n"
     "setting it again lets the instance continue.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyObject *instance_interrupt(PyObject *op, PyObject *unused)
{
    (void)unused;
    wk_instance_interrupt(((InstanceObject *)op)->instance);
    Py_RETURN_NONE;
}

static PyMethodDef instance_methods[] = {
    {"interrupt", instance_interrupt, METH_NOARGS,
     "interrupt()\n--\n\nStops the call running in this instance (and in the instances it\n"
     "shares a store with), from any thread: it raises Trap with kind 'interrupted'. Does\n"
     "nothing when no call runs."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef instance_members[] = {
    PY_WEAKREFS_MEMBER(InstanceObject),
    {"exports", T_OBJECT, offsetof(InstanceObject, exports), READONLY,
     "The exports: instance.exports.sum(1, 2), instance.exports['memory'], len(), iteration."},
    {"memory", T_OBJECT, offsetof(InstanceObject, memory), READONLY,
     "The first exported Memory, whatever its export name, or None."},
    {"module", T_OBJECT, offsetof(InstanceObject, module), READONLY,
     "The Module this instance was made from."},
    {"wasi", T_OBJECT, offsetof(InstanceObject, wasi), READONLY,
     "The WASI context (run(), stdout, stderr, exit_code) when made with wasi=, else None."},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot instance_slots[] = {
    {Py_tp_doc,
     "Instance(module, imports=None, timeout=None, *, memory_limit=None, "
     "table_limit=None, stack_size=None, fuel=None, wasi=None)\n--\n\n"
     "Instantiates a WebAssembly module.\n\n"
     "module is a Module, any bytes-like object holding a binary module, or a str in\n"
     "the text format (compiled first). imports maps module names to mappings of\n"
     "field names to values:\n"
     "  - a Python callable for an imported function: its types come from the module's\n"
     "    import declaration; an exception it raises reaches the caller unchanged;\n"
     "  - a Function, Memory, Global or Table, e.g. another instance's exports\n"
     "    (an Exports object is itself such a mapping).\n"
     "wasi: a WasiConfig providing the wasi_snapshot_preview1 imports; then\n"
     "instance.wasi.run() runs a command's _start and returns its exit code, and an\n"
     "export calling proc_exit raises Exit (.code).\n\n"
     "instance.exports.name(...) calls an exported function; instance.memory is the\n"
     "first exported memory (or None). timeout (seconds) limits every call of an export\n"
     "(a call may also pass its own timeout=): past it the call raises Trap with kind\n"
     "'interrupted'. Ctrl-C stops running Wasm (KeyboardInterrupt); interrupt() stops it\n"
     "from another thread. memory_limit (bytes) and table_limit (elements) bound each\n"
     "memory and table the instance defines (memory.grow/table.grow return -1 past them;\n"
     "a larger minimum raises MemoryError); stack_size (bytes) is the native stack Wasm\n"
     "may use per call (default 1 MiB). The limits are set on the instance's store.\n"
     "fuel (an int) is the budget of operations of a module compiled with\n"
     "configure(fuel=True) (see Instance.fuel).\n\n"
     "Raises CompileError for bad bytes, LinkError when imports do not match, and Trap\n"
     "when the start function traps.\n\n"
     "Example:\n"
     "    instance = Instance(open('simple.wasm', 'rb').read())\n"
     "    instance.exports.sum(5, 37)  # 42"},
    {Py_tp_new, instance_new},
    {Py_tp_traverse, instance_traverse},
    {Py_tp_clear, instance_clear},
    {Py_tp_dealloc, instance_dealloc},
    {Py_tp_repr, instance_repr},
    {Py_tp_members, instance_members},
    {Py_tp_methods, instance_methods},
    {Py_tp_getset, instance_getset},
    {0, NULL},
};

static PyType_Spec instance_spec = {
    .name = "wasmkiln.Instance",
    .basicsize = sizeof(InstanceObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = instance_slots,
};

int py_instance_init(PyObject *mod, WkState *st)
{
    st->instance_type = py_add_type(mod, &instance_spec, NULL);
    return st->instance_type ? 0 : -1;
}
