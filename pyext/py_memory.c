/* The Memory type: a linear memory exposed through the buffer protocol (zero-copy; its base
 * never moves, so buffers stay valid across grow), typed views, grow and sizes. */
#include "py_internal.h"

PyObject *py_memory_wrap(WkState *st, PyObject *store, wk_memory_t *mem)
{
    MemoryObject *self = PyObject_GC_New(MemoryObject, st->memory_type);
    if (!self) return NULL;
    self->store = Py_NewRef(store);
    self->memory = mem;
    self->weakrefs = NULL;
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

/* Memory(minimum, maximum=None): a new memory (in a store of its own) to import. */
static PyObject *memory_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"minimum", "maximum", NULL};
    unsigned int min;
    PyObject *max = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "I|O:Memory", kwlist, &min, &max)) return NULL;
    wk_limits_t limits = {min, 0, max != Py_None};
    if (limits.has_max) {
        limits.max = (uint32_t)PyLong_AsUnsignedLong(max);
        if (PyErr_Occurred()) return NULL;
    }
    WkState *st = py_state_of_type(type);
    PyObject *store = py_store_new(st);
    if (!store) return NULL;
    wk_memory_t *mem;
    wk_error_t *err = wk_memory_new(py_store_wk(store), &limits, &mem);
    PyObject *r = err ? py_errors_raise(st, err) : py_memory_wrap(st, store, mem);
    Py_DECREF(store);
    return r;
}

PY_HOLDER_LAYOUT(MemoryObject, store);

/* The buffer protocol: the whole memory as it is now, writable, bytes ('B'). */
static int memory_getbuffer(PyObject *op, Py_buffer *view, int flags)
{
    wk_memory_t *mem = ((MemoryObject *)op)->memory;
    return PyBuffer_FillInfo(view, op, wk_memory_data(mem), (Py_ssize_t)wk_memory_data_size(mem),
                             0, flags);
}

static PyObject *memory_grow(PyObject *op, PyObject *arg)
{
    MemoryObject *self = (MemoryObject *)op;
    unsigned long delta = PyLong_AsUnsignedLong(arg);
    if (delta == (unsigned long)-1 && PyErr_Occurred()) return NULL;
    uint32_t prev = 0;
    bool ok = false;
    if (delta <= UINT32_MAX) {
        if (py_store_enter((StoreObject *)self->store) < 0) return NULL;
        ok = wk_memory_grow(self->memory, (uint32_t)delta, &prev);
        py_store_leave((StoreObject *)self->store);
    }
    if (!ok) {
        uint32_t n = wk_memory_size(self->memory);
        PyErr_Format(py_state_of(op)->error, "cannot grow memory of %u page%s by %lu page%s",
                     n, n == 1 ? "" : "s", delta, delta == 1 ? "" : "s");
        return NULL;
    }
    return PyLong_FromUnsignedLong(prev);
}

static PyObject *memory_get_size(PyObject *op, void *closure)
{
    (void)closure;
    return PyLong_FromUnsignedLong(wk_memory_size(((MemoryObject *)op)->memory));
}

static PyObject *memory_get_data_size(PyObject *op, void *closure)
{
    (void)closure;
    return PyLong_FromSize_t(wk_memory_data_size(((MemoryObject *)op)->memory));
}

static PyObject *memory_get_buffer(PyObject *op, void *closure)
{
    (void)closure;
    return PyMemoryView_FromObject(op);
}

static PyObject *memory_get_type(PyObject *op, void *closure)
{
    (void)closure;
    wk_externtype_t t = {.kind = WK_EXTERN_MEMORY};
    t.of.memory = wk_memory_type(((MemoryObject *)op)->memory);
    return py_types_extern(py_state_of(op), &t);
}

static PyObject *memory_repr(PyObject *op)
{
    uint32_t n = wk_memory_size(((MemoryObject *)op)->memory);
    return PyUnicode_FromFormat("<wasmkiln.Memory: %u page%s>", n, n == 1 ? "" : "s");
}

/* The view constructors uint8_view(offset=0) ... float64_view(offset=0). */
#define VIEW_METHOD(fn, index)                                                                 \
    static PyObject *fn(PyObject *op, PyObject *args, PyObject *kwds)                          \
    {                                                                                          \
        static char *kwlist[] = {"offset", NULL};                                              \
        PyObject *offset = NULL;                                                               \
        if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:" #fn, kwlist, &offset)) return NULL; \
        return py_view_new(py_state_of(op), op, index, offset);                                   \
    }
VIEW_METHOD(uint8_view, 0)
VIEW_METHOD(int8_view, 1)
VIEW_METHOD(uint16_view, 2)
VIEW_METHOD(int16_view, 3)
VIEW_METHOD(uint32_view, 4)
VIEW_METHOD(int32_view, 5)
VIEW_METHOD(uint64_view, 6)
VIEW_METHOD(int64_view, 7)
VIEW_METHOD(float32_view, 8)
VIEW_METHOD(float64_view, 9)

#define VIEW_DEF(fn, cls)                                                                      \
    {#fn, (PyCFunction)(void (*)(void))fn, METH_VARARGS | METH_KEYWORDS,                       \
     #fn "($self, offset=0)\n--\n\nA " cls " over the memory from byte offset (live: its "      \
         "length follows memory growth)."}

static PyMethodDef memory_methods[] = {
    VIEW_DEF(uint8_view, "Uint8Array"),
    VIEW_DEF(int8_view, "Int8Array"),
    VIEW_DEF(uint16_view, "Uint16Array"),
    VIEW_DEF(int16_view, "Int16Array"),
    VIEW_DEF(uint32_view, "Uint32Array"),
    VIEW_DEF(int32_view, "Int32Array"),
    VIEW_DEF(uint64_view, "Uint64Array"),
    VIEW_DEF(int64_view, "Int64Array"),
    VIEW_DEF(float32_view, "Float32Array"),
    VIEW_DEF(float64_view, "Float64Array"),
    {"grow", memory_grow, METH_O,
     "grow($self, pages, /)\n--\n\nGrows the memory by pages (64 KiB each); returns the previous "
     "size in pages. Raises wasmkiln.Error past the maximum."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef memory_getset[] = {
    {"size", memory_get_size, NULL, "Size in 64 KiB pages.", NULL},
    {"data_size", memory_get_data_size, NULL, "Size in bytes.", NULL},
    {"buffer", memory_get_buffer, NULL,
     "A writable memoryview of the whole memory (zero-copy, as long as it is now).", NULL},
    {"type", memory_get_type, NULL, "MemoryType(minimum, maximum).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef memory_members[] = {
    PY_WEAKREFS_MEMBER(MemoryObject),
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot memory_slots[] = {
    {Py_tp_doc, "Memory(minimum, maximum=None)\n--\n\n"
                "A WebAssembly linear memory (sizes in 64 KiB pages).\n\n"
                "instance.memory is the module's exported memory; Memory(...) makes one to\n"
                "import. Typed views: uint8_view(offset=0) ... float64_view(offset=0).\n"
                "Supports the buffer protocol: memoryview(memory), bytearray(memory),\n"
                "numpy.frombuffer(memory, dtype) see the live memory, zero-copy and\n"
                "writable; the base never moves, so they stay valid across grow()."},
    {Py_tp_new, memory_new},
    {Py_tp_traverse, py_holder_traverse},
    {Py_tp_clear, py_holder_clear},
    {Py_tp_dealloc, py_holder_dealloc},
    {Py_tp_members, memory_members},
    {Py_tp_repr, memory_repr},
    {Py_tp_methods, memory_methods},
    {Py_tp_getset, memory_getset},
    {Py_bf_getbuffer, memory_getbuffer},
    {0, NULL},
};

static PyType_Spec memory_spec = {
    .name = "wasmkiln.Memory",
    .basicsize = sizeof(MemoryObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = memory_slots,
};

int py_memory_init(PyObject *mod, WkState *st)
{
    st->memory_type = py_add_type(mod, &memory_spec, NULL);
    return st->memory_type ? 0 : -1;
}
