/* The exception hierarchy (Error > CompileError > DecodeError/ValidationError, LinkError, Trap)
 * and the one place turning wk_error_t / wk_trap_t into Python exceptions. A Python exception
 * raised by a host function travels through the Wasm frames inside a trap's payload. */
#include "py_internal.h"

/* Payload of a trap made from a Python exception; the tag tells it from other payloads. */
typedef struct {
    uint32_t tag;
    PyObject *exc;
} Stash;

enum { STASH_TAG = 0x77504558 };

static PyObject *new_exc(PyObject *mod, const char *name, PyObject *bases, const char *doc)
{
    char qual[64];
    PyOS_snprintf(qual, sizeof qual, "wasmkiln.%s", name);
    PyObject *exc = PyErr_NewExceptionWithDoc(qual, doc, bases, NULL);
    if (!exc) return NULL;
    if (PyModule_AddObjectRef(mod, name, exc) < 0) Py_CLEAR(exc);
    return exc;
}

/* Trap.__init__(self, message='', *args): .message, .kind ('host') and .frames (()) for a
 * Trap made in Python; a trap from Wasm sets its own afterwards. */
static PyObject *trap_init(PyObject *unused, PyObject *args)
{
    (void)unused;
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if (n < 1) {
        PyErr_SetString(PyExc_TypeError, "Trap.__init__ needs self");
        return NULL;
    }
    PyObject *self = PyTuple_GET_ITEM(args, 0);
    PyObject *rest = PyTuple_GetSlice(args, 1, n);
    if (!rest || ((PyTypeObject *)PyExc_BaseException)->tp_init(self, rest, NULL) < 0) {
        Py_XDECREF(rest);
        return NULL;
    }
    PyObject *msg = n > 1 ? PyObject_Str(PyTuple_GET_ITEM(args, 1)) : PyUnicode_FromString("");
    PyObject *kind = msg ? PyUnicode_FromString("host") : NULL;
    PyObject *frames = kind ? PyTuple_New(0) : NULL;
    int rc = frames && PyObject_SetAttrString(self, "message", msg) == 0 &&
                     PyObject_SetAttrString(self, "kind", kind) == 0 &&
                     PyObject_SetAttrString(self, "frames", frames) == 0
                 ? 0
                 : -1;
    Py_DECREF(rest);
    Py_XDECREF(msg);
    Py_XDECREF(kind);
    Py_XDECREF(frames);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef trap_init_def = {"__init__", trap_init, METH_VARARGS, NULL};

/* The Trap class: Error and RuntimeError, with trap_init as __init__. */
static PyObject *new_trap_class(PyObject *mod, WkState *st)
{
    PyObject *bases = Py_BuildValue("(OO)", st->error, PyExc_RuntimeError);
    PyObject *fn = bases ? PyCFunction_New(&trap_init_def, NULL) : NULL;
    PyObject *meth = fn ? PyInstanceMethod_New(fn) : NULL;
    PyObject *dict = meth ? PyDict_New() : NULL;
    PyObject *cls = NULL;
    if (dict && PyDict_SetItemString(dict, "__init__", meth) == 0)
        cls = PyErr_NewExceptionWithDoc(
            "wasmkiln.Trap",
            "WebAssembly code trapped. .kind names the trap (e.g. 'unreachable'), .message is "
            "the spec's wording, .frames the Wasm frames it passed (Frame tuples, innermost "
            "first); str() is the message followed by the backtrace.",
            bases, dict);
    if (cls && PyModule_AddObjectRef(mod, "Trap", cls) < 0) Py_CLEAR(cls);
    Py_XDECREF(bases);
    Py_XDECREF(fn);
    Py_XDECREF(meth);
    Py_XDECREF(dict);
    return cls;
}

int py_errors_init(PyObject *mod, WkState *st)
{
    st->error = new_exc(mod, "Error", NULL, "Base class of every wasmkiln error.");
    if (!st->error) return -1;
    st->compile_error = new_exc(mod, "CompileError", st->error,
                                "The bytes are not a valid module. .message is the reason in "
                                "the spec's wording, .offset the byte offset (or None).");
    if (!st->compile_error) return -1;
    st->decode_error = new_exc(mod, "DecodeError", st->compile_error,
                               "The bytes are not a well-formed binary module (malformed).");
    st->validation_error = new_exc(mod, "ValidationError", st->compile_error,
                                   "The module is well-formed but fails validation (invalid).");
    st->link_error = new_exc(mod, "LinkError", st->error,
                             "Imports do not match the module's import declarations.");
    if (!st->decode_error || !st->validation_error || !st->link_error) return -1;
    st->trap = new_trap_class(mod, st);
    if (!st->trap) return -1;
    st->exit = new_exc(mod, "Exit", st->error,
                       "The WASI guest called proc_exit: .code is its exit code. The run is "
                       "over (the host process goes on); do not call the instance again.");
    return st->exit ? 0 : -1;
}

/* Raises exc_type(text) with .message and .<attr> = value (consumed) set on the instance. */
static PyObject *raise_with(PyObject *exc_type, const char *text, const char *message,
                            const char *attr, PyObject *value)
{
    PyObject *exc = PyObject_CallFunction(exc_type, "s", text);
    if (!exc) goto done;
    PyObject *msg = PyUnicode_FromString(message);
    if (!msg || PyObject_SetAttrString(exc, "message", msg) < 0 ||
        (attr && PyObject_SetAttrString(exc, attr, value) < 0)) {
        Py_XDECREF(msg);
        Py_DECREF(exc);
        goto done;
    }
    Py_DECREF(msg);
    PyErr_SetObject(exc_type, exc);
    Py_DECREF(exc);
done:
    Py_XDECREF(value);
    return NULL;
}

PyObject *py_errors_raise(WkState *st, wk_error_t *err)
{
    wk_error_kind_t kind = wk_error_kind(err);
    size_t offset = wk_error_offset(err);
    PyObject *type = st->error;
    switch (kind) {
    case WK_ERROR_MALFORMED: type = st->decode_error; break;
    case WK_ERROR_INVALID: type = st->validation_error; break;
    case WK_ERROR_LINK: type = st->link_error; break;
    case WK_ERROR_RESOURCE: PyErr_SetString(PyExc_MemoryError, wk_error_message(err)); break;
    case WK_ERROR_USAGE: PyErr_SetString(PyExc_ValueError, wk_error_message(err)); break;
    default: break;
    }
    if (kind == WK_ERROR_RESOURCE || kind == WK_ERROR_USAGE) {
        wk_error_delete(err);
        return NULL;
    }
    PyObject *off = Py_NewRef(Py_None);
    if (type != st->error && offset != SIZE_MAX) {
        Py_DECREF(off);
        off = PyLong_FromSize_t(offset);
        if (!off) {
            wk_error_delete(err);
            return NULL;
        }
    }
    raise_with(type, wk_error_describe(err), wk_error_message(err), "offset", off);
    wk_error_delete(err);
    return NULL;
}

/* A str of a borrowed name, or None when empty. */
static PyObject *name_or_none(wk_name_t n)
{
    if (!n.size) Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(n.data, (Py_ssize_t)n.size, "replace");
}

/* The trap's frames as a tuple of Frame. */
static PyObject *frames_tuple(WkState *st, const wk_trap_t *trap)
{
    size_t n = wk_trap_frame_count(trap);
    PyObject *t = PyTuple_New((Py_ssize_t)n);
    for (size_t i = 0; t && i < n; i++) {
        const wk_frame_t *f = wk_trap_frame(trap, i);
        PyObject *items[] = {name_or_none(f->module_name), PyLong_FromUnsignedLong(f->func_index),
                             name_or_none(f->func_name), PyLong_FromSize_t(f->module_offset)};
        PyObject *fr = py_types_make(st->frame_type, 4, items);
        if (!fr) Py_CLEAR(t);
        else PyTuple_SET_ITEM(t, (Py_ssize_t)i, fr);
    }
    return t;
}

/* Gives a Python exception that crossed Wasm frames a note with the backtrace and
 * .wasm_frames; -1 with an exception. */
static int annotate(WkState *st, PyObject *exc, wk_trap_t *trap)
{
    if (!wk_trap_frame_count(trap)) return 0;
    PyObject *frames = frames_tuple(st, trap);
    if (!frames) return -1;
    if (PyObject_SetAttrString(exc, "wasm_frames", frames) < 0) PyErr_Clear(); /* __slots__ */
    Py_DECREF(frames);
    const char *d = strchr(wk_trap_describe(trap), '\n');
    PyObject *r = d ? PyObject_CallMethod(exc, "add_note", "s", d + 1) : Py_NewRef(Py_None);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

PyObject *py_errors_raise_trap(WkState *st, wk_trap_t *trap)
{
    Stash *stash = wk_trap_data(trap);
    if (stash && stash->tag == STASH_TAG) {
        wk_trap_take_data(trap);
        PyObject *exc = stash->exc;
        PyMem_RawFree(stash);
        int rc = annotate(st, exc, trap);
        wk_trap_delete(trap);
        if (rc < 0) {
            Py_DECREF(exc);
            return NULL;
        }
        PyErr_Restore(Py_NewRef(Py_TYPE(exc)), exc, PyException_GetTraceback(exc));
        return NULL;
    }
    uint32_t code;
    if (wk_trap_exit_code(trap, &code)) {
        wk_trap_delete(trap);
        PyObject *c = PyLong_FromUnsignedLong(code);
        char text[48];
        PyOS_snprintf(text, sizeof text, "exit with code %u", code);
        return c ? raise_with(st->exit, text, text, "code", c) : NULL;
    }
    /* Interrupted by Ctrl-C: Python's SIGINT handler raises KeyboardInterrupt now. */
    if (wk_trap_kind(trap) == WK_TRAP_INTERRUPTED && PyErr_CheckSignals() < 0) {
        wk_trap_delete(trap);
        return NULL;
    }
    PyObject *exc = PyObject_CallFunction(st->trap, "s", wk_trap_describe(trap));
    PyObject *frames = exc ? frames_tuple(st, trap) : NULL;
    PyObject *kind = frames ? PyUnicode_FromString(wk_trap_kind_name(wk_trap_kind(trap))) : NULL;
    PyObject *msg = kind ? PyUnicode_FromString(wk_trap_message(trap)) : NULL;
    if (msg && PyObject_SetAttrString(exc, "message", msg) == 0 &&
        PyObject_SetAttrString(exc, "kind", kind) == 0 &&
        PyObject_SetAttrString(exc, "frames", frames) == 0)
        PyErr_SetObject(st->trap, exc);
    Py_XDECREF(exc);
    Py_XDECREF(frames);
    Py_XDECREF(kind);
    Py_XDECREF(msg);
    wk_trap_delete(trap);
    return NULL;
}

/* Finalizer of a stashed exception the runtime drops without handing it back. */
static void stash_free(void *data)
{
    Stash *stash = data;
    PyGILState_STATE g = PyGILState_Ensure();
    Py_XDECREF(stash->exc);
    PyGILState_Release(g);
    PyMem_RawFree(stash);
}

wk_trap_t *py_errors_stash_trap(void)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb) PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    Stash *stash = PyMem_RawMalloc(sizeof *stash);
    if (!stash) {
        Py_XDECREF(value);
        return wk_trap_new("out of memory in a Python host function", NULL, NULL);
    }
    stash->tag = STASH_TAG;
    stash->exc = value;
    return wk_trap_new("Python exception in a host function", stash, stash_free);
}

PyObject *py_errors_link(WkState *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PyObject *msg = PyUnicode_FromFormatV(fmt, ap);
    va_end(ap);
    if (!msg) return NULL;
    PyErr_SetObject(st->link_error, msg);
    Py_DECREF(msg);
    return NULL;
}
