/* The typed views over a memory (Uint8Array ... Float64Array): one implementation, ten heap
 * types. Offsets are in bytes, elements little-endian, lengths follow memory growth. */
#include <math.h>
#include <string.h>

#include "py_internal.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "views copy elements in host order, which must be little-endian like Wasm memory"
#endif

typedef struct {
    PyObject_HEAD
    PyObject *memory; /* MemoryObject */
    size_t offset;    /* bytes */
    int index;        /* into ELEMS */
} ViewObject;

typedef struct {
    const char *name;
    Py_ssize_t size;
    char format[2];
    bool is_signed, is_float;
} Elem;

static const Elem ELEMS[10] = {
    {"wasmkiln.Uint8Array", 1, "B", false, false},
    {"wasmkiln.Int8Array", 1, "b", true, false},
    {"wasmkiln.Uint16Array", 2, "H", false, false},
    {"wasmkiln.Int16Array", 2, "h", true, false},
    {"wasmkiln.Uint32Array", 4, "I", false, false},
    {"wasmkiln.Int32Array", 4, "i", true, false},
    {"wasmkiln.Uint64Array", 8, "Q", false, false},
    {"wasmkiln.Int64Array", 8, "q", true, false},
    {"wasmkiln.Float32Array", 4, "f", true, true},
    {"wasmkiln.Float64Array", 8, "d", true, true},
};

static wk_memory_t *view_mem(ViewObject *v)
{
    return ((MemoryObject *)v->memory)->memory;
}

/* First byte of element 0. */
static uint8_t *view_base(ViewObject *v)
{
    return wk_memory_data(view_mem(v)) + v->offset;
}

static Py_ssize_t view_len(PyObject *op)
{
    ViewObject *v = (ViewObject *)op;
    size_t size = wk_memory_data_size(view_mem(v));
    return size > v->offset ? (Py_ssize_t)((size - v->offset) / (size_t)ELEMS[v->index].size)
                            : 0;
}

PyObject *py_view_new(WkState *st, PyObject *memory, int type_index, PyObject *offset)
{
    Py_ssize_t off = 0;
    if (offset) {
        off = PyNumber_AsSsize_t(offset, PyExc_OverflowError);
        if (off == -1 && PyErr_Occurred()) return NULL;
    }
    size_t size = wk_memory_data_size(((MemoryObject *)memory)->memory);
    if (off < 0 || (size_t)off > size) {
        PyErr_Format(PyExc_IndexError, "offset %zd is outside the memory (%zu bytes)", off, size);
        return NULL;
    }
    ViewObject *v = PyObject_GC_New(ViewObject, st->view_types[type_index]);
    if (!v) return NULL;
    v->memory = Py_NewRef(memory);
    v->offset = (size_t)off;
    v->index = type_index;
    PyObject_GC_Track(v);
    return (PyObject *)v;
}

/* ---- elements ---------------------------------------------------------------------------- */

static PyObject *elem_get(const Elem *e, const uint8_t *p)
{
    union {
        uint8_t u8; int8_t i8; uint16_t u16; int16_t i16; uint32_t u32; int32_t i32;
        uint64_t u64; int64_t i64; float f32; double f64;
    } x;
    memcpy(&x, p, (size_t)e->size);
    switch (e->format[0]) {
    case 'B': return PyLong_FromLong(x.u8);
    case 'b': return PyLong_FromLong(x.i8);
    case 'H': return PyLong_FromLong(x.u16);
    case 'h': return PyLong_FromLong(x.i16);
    case 'I': return PyLong_FromUnsignedLong(x.u32);
    case 'i': return PyLong_FromLong(x.i32);
    case 'Q': return PyLong_FromUnsignedLongLong(x.u64);
    case 'q': return PyLong_FromLongLong(x.i64);
    case 'f': return PyFloat_FromDouble(x.f32);
    default: return PyFloat_FromDouble(x.f64);
    }
}

static int elem_overflow(const Elem *e, PyObject *obj)
{
    PyErr_Format(PyExc_OverflowError, "%R does not fit in an element of %s", obj, e->name + 9);
    return -1;
}

/* A float (or int) for a float element, written to out. */
static int elem_float(const Elem *e, PyObject *obj, uint8_t *out)
{
    if (!PyFloat_Check(obj) && !PyLong_Check(obj) && !PyIndex_Check(obj) &&
        !(Py_TYPE(obj)->tp_as_number && Py_TYPE(obj)->tp_as_number->nb_float)) {
        PyErr_Format(PyExc_TypeError, "%s elements are numbers, not %s", e->name + 9,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    double d = PyFloat_AsDouble(obj);
    if (d == -1.0 && PyErr_Occurred()) return -1;
    if (e->size == 8) {
        memcpy(out, &d, 8);
        return 0;
    }
    float f = (float)d;
    if (isinf(f) && !isinf(d)) return elem_overflow(e, obj);
    memcpy(out, &f, 4);
    return 0;
}

/* Converts obj to one element (range-checked) and writes it to out. */
static int elem_set(const Elem *e, PyObject *obj, uint8_t *out)
{
    if (e->is_float) return elem_float(e, obj, out);
    if (!PyLong_Check(obj) && !PyIndex_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s elements are ints, not %s", e->name + 9,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    PyObject *n = PyNumber_Index(obj);
    if (!n) return -1;
    int bits = (int)e->size * 8;
    unsigned long long u;
    bool ok;
    if (_PyLong_Sign(n) < 0) {
        long long v = PyLong_AsLongLong(n);
        ok = !PyErr_Occurred() && e->is_signed && (bits == 64 || v >= -(1LL << (bits - 1)));
        u = (unsigned long long)v;
    } else {
        u = PyLong_AsUnsignedLongLong(n);
        unsigned long long limit = e->is_signed ? 1ULL << (bits - 1) : 0;
        if (!e->is_signed && bits < 64) limit = 1ULL << bits;
        ok = !PyErr_Occurred() && (limit == 0 || u < limit);
    }
    PyErr_Clear();
    Py_DECREF(n);
    if (!ok) return elem_overflow(e, obj);
    memcpy(out, &u, (size_t)e->size);
    return 0;
}

/* ---- indexing ---------------------------------------------------------------------------- */

/* Checks index i (negative counts from the end when wrap); -1 with IndexError. */
static int view_index(PyObject *op, Py_ssize_t *i, bool wrap)
{
    Py_ssize_t n = view_len(op);
    if (*i < 0 && wrap) *i += n;
    if (*i < 0 || *i >= n) {
        PyErr_SetString(PyExc_IndexError, "view index out of range");
        return -1;
    }
    return 0;
}

/* sq_item: i was already adjusted by the caller (PySequence_GetItem). */
static PyObject *view_item(PyObject *op, Py_ssize_t i)
{
    ViewObject *v = (ViewObject *)op;
    if (view_index(op, &i, false) < 0) return NULL;
    const Elem *e = &ELEMS[v->index];
    return elem_get(e, view_base(v) + i * e->size);
}

/* A list of n bytes from p (every step-th), signed or not, from the cached ints. */
static PyObject *byte_slice(PyObject *op, const uint8_t *p, Py_ssize_t n, Py_ssize_t step,
                            bool is_signed)
{
    PyObject *const *ints = py_state_of(op)->byte_ints + 128;
    PyObject *list = PyList_New(n);
    if (!list) return NULL;
    PyObject **items = ((PyListObject *)list)->ob_item;
    for (Py_ssize_t k = 0; k < n; k++, p += step) {
        PyObject *x = ints[is_signed ? (int8_t)*p : *p];
        Py_INCREF(x);
        items[k] = x;
    }
    return list;
}

static PyObject *view_slice(PyObject *op, PyObject *slice)
{
    ViewObject *v = (ViewObject *)op;
    Py_ssize_t start, stop, step;
    if (PySlice_Unpack(slice, &start, &stop, &step) < 0) return NULL;
    Py_ssize_t n = PySlice_AdjustIndices(view_len(op), &start, &stop, step);
    const Elem *e = &ELEMS[v->index];
    const uint8_t *base = view_base(v);
    if (e->size == 1) return byte_slice(op, base + start, n, step, e->is_signed);
    PyObject *list = PyList_New(n);
    for (Py_ssize_t k = 0; list && k < n; k++) {
        PyObject *x = elem_get(e, base + (start + k * step) * e->size);
        if (!x) Py_CLEAR(list);
        else PyList_SET_ITEM(list, k, x);
    }
    return list;
}

static PyObject *view_subscript(PyObject *op, PyObject *key)
{
    if (PySlice_Check(key)) return view_slice(op, key);
    Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
    if ((i == -1 && PyErr_Occurred()) || view_index(op, &i, true) < 0) return NULL;
    return view_item(op, i);
}

/* Copies a buffer whose element format matches the view's into n elements; 1 when done,
 * 0 when value is not such a buffer, -1 on error. */
static int assign_buffer(const Elem *e, uint8_t *dst, Py_ssize_t n, PyObject *value)
{
    Py_buffer buf;
    if (!PyObject_CheckBuffer(value)) return 0;
    if (PyObject_GetBuffer(value, &buf, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        return 0;
    }
    const char *fmt = buf.format ? buf.format : "B";
    if (fmt[0] == '<' || fmt[0] == '=' || fmt[0] == '@') fmt++;
    bool same = buf.itemsize == e->size && strlen(fmt) == 1 &&
                (fmt[0] == e->format[0] ||
                 (e->size == 8 && strchr(e->is_signed ? "lq" : "LQ", fmt[0])));
    int r = 0;
    if (same) {
        if (buf.len / buf.itemsize != n) {
            PyErr_Format(PyExc_ValueError, "cannot assign %zd elements to a slice of %zd",
                         buf.len / buf.itemsize, n);
            r = -1;
        } else {
            memmove(dst, buf.buf, (size_t)buf.len);
            r = 1;
        }
    }
    PyBuffer_Release(&buf);
    return r;
}

/* Assigns a sequence (or buffer) of exactly n values to elements start, start+step, ...;
 * converts everything before writing anything. */
static int assign_slice(ViewObject *v, Py_ssize_t start, Py_ssize_t step, Py_ssize_t n,
                        PyObject *value)
{
    const Elem *e = &ELEMS[v->index];
    uint8_t *base = view_base(v);
    if (step == 1) {
        int r = assign_buffer(e, base + start * e->size, n, value);
        if (r != 0) return r < 0 ? -1 : 0;
    }
    PyObject *seq = PySequence_Fast(value, "slice assignment needs a sequence or a buffer");
    if (!seq) return -1;
    int rc = -1;
    uint8_t *tmp = NULL;
    if (PySequence_Fast_GET_SIZE(seq) != n) {
        PyErr_Format(PyExc_ValueError, "cannot assign %zd elements to a slice of %zd",
                     PySequence_Fast_GET_SIZE(seq), n);
        goto done;
    }
    if (!(tmp = PyMem_Malloc((size_t)(n * e->size) + 1))) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < n; k++)
        if (elem_set(e, PySequence_Fast_GET_ITEM(seq, k), tmp + k * e->size) < 0) goto done;
    for (Py_ssize_t k = 0; k < n; k++)
        memcpy(base + (start + k * step) * e->size, tmp + k * e->size, (size_t)e->size);
    rc = 0;
done:
    PyMem_Free(tmp);
    Py_DECREF(seq);
    return rc;
}

static int view_ass_subscript(PyObject *op, PyObject *key, PyObject *value)
{
    ViewObject *v = (ViewObject *)op;
    if (!value) {
        PyErr_SetString(PyExc_TypeError, "cannot delete elements of a memory view");
        return -1;
    }
    if (PySlice_Check(key)) {
        Py_ssize_t start, stop, step;
        if (PySlice_Unpack(key, &start, &stop, &step) < 0) return -1;
        Py_ssize_t n = PySlice_AdjustIndices(view_len(op), &start, &stop, step);
        return assign_slice(v, start, step, n, value);
    }
    Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
    if ((i == -1 && PyErr_Occurred()) || view_index(op, &i, true) < 0) return -1;
    const Elem *e = &ELEMS[v->index];
    uint8_t tmp[8];
    if (elem_set(e, value, tmp) < 0) return -1;
    memcpy(view_base(v) + i * e->size, tmp, (size_t)e->size);
    return 0;
}

/* ---- buffer protocol, attributes, type ---------------------------------------------------- */

static int view_getbuffer(PyObject *op, Py_buffer *buf, int flags)
{
    ViewObject *v = (ViewObject *)op;
    const Elem *e = &ELEMS[v->index];
    Py_ssize_t *shape = PyMem_Malloc(2 * sizeof *shape);
    if (!shape) {
        PyErr_NoMemory();
        return -1;
    }
    shape[0] = view_len(op);
    shape[1] = e->size;
    buf->buf = view_base(v);
    buf->obj = Py_NewRef(op);
    buf->len = shape[0] * e->size;
    buf->readonly = 0;
    buf->itemsize = e->size;
    buf->format = (flags & PyBUF_FORMAT) ? (char *)e->format : NULL;
    buf->ndim = 1;
    buf->shape = (flags & PyBUF_ND) ? shape : NULL;
    buf->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? shape + 1 : NULL;
    buf->suboffsets = NULL;
    buf->internal = shape;
    return 0;
}

static void view_releasebuffer(PyObject *op, Py_buffer *buf)
{
    (void)op;
    PyMem_Free(buf->internal);
}

static PyObject *view_get_bpe(PyObject *op, void *closure)
{
    (void)closure;
    return PyLong_FromSsize_t(ELEMS[((ViewObject *)op)->index].size);
}

static PyObject *view_get_offset(PyObject *op, void *closure)
{
    (void)closure;
    return PyLong_FromSize_t(((ViewObject *)op)->offset);
}

static PyObject *view_repr(PyObject *op)
{
    ViewObject *v = (ViewObject *)op;
    return PyUnicode_FromFormat("<%s offset=%zu len=%zd>", ELEMS[v->index].name, v->offset,
                                view_len(op));
}

PY_HOLDER_LAYOUT(ViewObject, memory);

static PyGetSetDef view_getset[] = {
    {"bytes_per_element", view_get_bpe, NULL, "Size of one element in bytes.", NULL},
    {"offset", view_get_offset, NULL, "Byte offset of element 0 in the memory.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot view_slots[] = {
    {Py_tp_doc, "A live typed view over a memory from a byte offset, like JavaScript's\n"
                "typed arrays (made by Memory.uint8_view(offset) and friends).\n\n"
                "len(view) counts whole elements up to the end of memory now; view[i]\n"
                "(negative from the end) and view[a:b:step] (a list) read; view[i] = x and\n"
                "view[a:b] = sequence_or_buffer write. Elements are little-endian. IndexError\n"
                "when out of range, OverflowError when a value does not fit. Supports the\n"
                "buffer protocol (typed, zero-copy)."},
    {Py_sq_length, view_len},
    {Py_sq_item, view_item},
    {Py_mp_length, view_len},
    {Py_mp_subscript, view_subscript},
    {Py_mp_ass_subscript, view_ass_subscript},
    {Py_bf_getbuffer, view_getbuffer},
    {Py_bf_releasebuffer, view_releasebuffer},
    {Py_tp_getset, view_getset},
    {Py_tp_repr, view_repr},
    {Py_tp_traverse, py_holder_traverse},
    {Py_tp_clear, py_holder_clear},
    {Py_tp_dealloc, py_holder_dealloc},
    {0, NULL},
};

int py_view_init(PyObject *mod, WkState *st)
{
    for (int i = 0; i < 384; i++)
        if (!(st->byte_ints[i] = PyLong_FromLong(i - 128))) return -1;
    for (int i = 0; i < 10; i++) {
        PyType_Spec spec = {
            .name = ELEMS[i].name,
            .basicsize = sizeof(ViewObject),
            .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE |
                     Py_TPFLAGS_DISALLOW_INSTANTIATION | Py_TPFLAGS_SEQUENCE,
            .slots = view_slots,
        };
        if (!(st->view_types[i] = py_add_type(mod, &spec, NULL))) return -1;
    }
    return 0;
}
