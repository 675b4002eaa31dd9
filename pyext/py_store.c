/* The Store object: one wk_store_t shared (by reference) by the Python objects made from it,
 * the per-store "one thread at a time" rule, and the host functions that call Python. */
#include <string.h>
#include <time.h>

#include "py_internal.h"

/* What a Python host function needs: its callable and the kinds of its results. */
struct HostEnv {
    PyObject *callable; /* NULL once the GC cleared the store */
    StoreObject *store; /* borrowed: the store owns this env */
    PyObject *name;     /* "module.name" of the import, for messages */
    bool with_caller;   /* the callable takes a Caller first */
    size_t nparams, nresults;
    wk_valkind_t results[];
};

PyObject *py_store_new(WkState *st)
{
    return py_store_new_in(st, st->engine);
}

PyObject *py_store_new_in(WkState *st, wk_engine_t *engine)
{
    StoreObject *s = PyObject_GC_New(StoreObject, st->store_type);
    if (!s) return NULL;
    s->parent = NULL;
    s->owner = 0;
    s->depth = 0;
    s->envs = NULL;
    s->nenvs = s->capenvs = 0;
    s->externs = PyDict_New();
    s->sweep_at = 64;
    s->store = wk_store_new(engine);
    PyObject_GC_Track(s);
    if (!s->externs || !s->store) {
        Py_DECREF(s);
        return PyErr_Occurred() ? NULL : PyErr_NoMemory();
    }
    return (PyObject *)s;
}

/* Sleeps a little with the GIL released, doubling the pause up to 1 ms. */
static void wait_a_little(long *ns)
{
    struct timespec ts = {0, *ns};
    Py_BEGIN_ALLOW_THREADS
    nanosleep(&ts, NULL);
    Py_END_ALLOW_THREADS
    if (*ns < 1000000) *ns *= 2;
}

/* The threads waiting in py_store_wait and what for, to find waits that never end. Touched
 * only with the GIL held (as StoreObject.owner is), so one list serves the process. */
typedef struct Waiter {
    unsigned long thread;
    StoreObject *wants;
    struct Waiter *next;
} Waiter;
static Waiter *waiters;

static StoreObject *wanted_by(unsigned long thread)
{
    for (Waiter *w = waiters; w; w = w->next)
        if (w->thread == thread) return w->wants;
    return NULL;
}

/* True when `me`, waiting for s, closes a cycle: s's user waits for a store whose user waits
 * ... for a store `me` uses. */
static bool waits_for_me(StoreObject *s, unsigned long me)
{
    for (size_t hops = 0; s && hops < 10000; hops++) {
        if (s->owner == 0) return false;
        if (s->owner == me) return true;
        s = wanted_by(s->owner);
    }
    return false;
}

static void waiter_remove(Waiter *w)
{
    for (Waiter **p = &waiters; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            return;
        }
    }
}

int py_store_wait(StoreObject *s, unsigned long me)
{
    Waiter w = {me, s, waiters};
    waiters = &w;
    long pause = 1000;
    int rc = 0;
    while (rc == 0 && s->owner != 0 && s->owner != me) {
        if (waits_for_me(s, me)) {
            PyErr_SetString(PyExc_RuntimeError,
                            "deadlock: the store is in use by a thread that waits for a store "
                            "this thread uses (two threads calling into each other's "
                            "instances from callbacks)");
            rc = -1;
        } else if (PyErr_CheckSignals() < 0) {
            rc = -1;
        } else {
            wait_a_little(&pause);
        }
    }
    waiter_remove(&w);
    return rc;
}

int py_store_keep(StoreObject *s, PyObject *obj)
{
    PyObject *id = PyLong_FromVoidPtr(obj);
    int rc = id ? PyDict_SetItem(py_store_root(s)->externs, id, obj) : -1;
    Py_XDECREF(id);
    return rc;
}

/* wk_store_externrefs visitor: copies a live entry of the old dict into the new one. */
typedef struct {
    PyObject *old, *live;
    int failed;
} Sweep;

static void sweep_visit(void *ref, void *env)
{
    Sweep *w = env;
    PyObject *id = w->failed ? NULL : PyLong_FromVoidPtr(ref);
    PyObject *obj = id ? PyDict_GetItemWithError(w->old, id) : NULL;
    if (obj && PyDict_SetItem(w->live, id, obj) < 0) obj = NULL;
    if (!obj && PyErr_Occurred()) w->failed = 1;
    Py_XDECREF(id);
}

void py_store_sweep(StoreObject *s)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    Sweep w = {s->externs, PyDict_New(), 0};
    if (w.live) wk_store_externrefs(s->store, sweep_visit, &w);
    if (w.live && !w.failed) {
        Py_SETREF(s->externs, w.live);
        w.live = NULL;
    }
    Py_XDECREF(w.live);
    PyErr_Clear(); /* out of memory: the objects stay alive until the next sweep */
    s->sweep_at = 2 * PyDict_GET_SIZE(s->externs) + 64;
    PyErr_Restore(type, value, tb);
}

/* Moves from's host functions and kept objects to into. -1 with MemoryError. */
static int move_python_side(StoreObject *into, StoreObject *from)
{
    if (into->nenvs + from->nenvs > into->capenvs) {
        size_t cap = into->nenvs + from->nenvs + 8;
        HostEnv **envs = PyMem_Realloc(into->envs, cap * sizeof *envs);
        if (!envs) {
            PyErr_NoMemory();
            return -1;
        }
        into->envs = envs;
        into->capenvs = cap;
    }
    if (from->externs && into->externs) {
        PyObject *empty = PyDict_New();
        if (!empty || PyDict_Update(into->externs, from->externs) < 0) {
            Py_XDECREF(empty);
            return -1;
        }
        Py_SETREF(from->externs, empty);
    }
    for (size_t i = 0; i < from->nenvs; i++) {
        from->envs[i]->store = into;
        into->envs[into->nenvs++] = from->envs[i];
    }
    from->nenvs = 0;
    return 0;
}

StoreObject *py_store_join(WkState *st, StoreObject *a, StoreObject *b)
{
    unsigned long me = PyThread_get_thread_ident();
    for (;;) { /* wait until neither is used by another thread (each wait may merge more) */
        a = py_store_root(a);
        b = py_store_root(b);
        if (a == b) return a;
        StoreObject *busy = a->owner != 0 && a->owner != me   ? a
                            : b->owner != 0 && b->owner != me ? b
                                                              : NULL;
        if (!busy) break;
        py_store_wait(busy, me);
    }
    if (b->depth > 0) { /* only an idle store can move */
        StoreObject *t = a;
        a = b;
        b = t;
    }
    if (b->depth > 0) {
        py_errors_link(st, "cannot link objects of two instances whose code is running (a "
                           "host function of each is on the stack)");
        return NULL;
    }
    wk_error_t *err = wk_store_merge(a->store, b->store);
    if (err) {
        bool engines = wk_error_kind(err) == WK_ERROR_USAGE;
        wk_error_delete(err);
        if (!engines) return (StoreObject *)PyErr_NoMemory();
        py_errors_link(st, "cannot link objects compiled with different configurations "
                           "(wasmkiln.configure() was called between their creations)");
        return NULL;
    }
    if (move_python_side(a, b) < 0) return NULL;
    b->parent = (StoreObject *)Py_NewRef(a);
    return a;
}

/* ---- host functions ---------------------------------------------------------------------- */

static void env_free(void *data)
{
    HostEnv *env = data;
    PyGILState_STATE g = PyGILState_Ensure();
    Py_XDECREF(env->callable);
    Py_XDECREF(env->name);
    PyGILState_Release(g);
    PyMem_RawFree(env);
}

/* Stores the callable's result(s) into results; -1 with an exception. */
static int host_results(WkState *st, HostEnv *env, PyObject *r, wk_val_t *results)
{
    ValueSite site = {env->name, "result", 0};
    if (env->nresults == 0) {
        if (r == Py_None) return 0;
        PyErr_Format(PyExc_TypeError, "%U() must return None, got %s", env->name,
                     Py_TYPE(r)->tp_name);
        return -1;
    }
    if (env->nresults == 1)
        return py_value_from_py(st, env->store, r, env->results[0], &site, &results[0]);
    PyObject *seq = PySequence_Fast(r, "a host function with several results must return "
                                       "a sequence");
    if (!seq) return -1;
    int rc = 0;
    if ((size_t)PySequence_Fast_GET_SIZE(seq) != env->nresults) {
        PyErr_Format(PyExc_ValueError, "%U() must return %zu values, got %zd", env->name,
                     env->nresults, PySequence_Fast_GET_SIZE(seq));
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < env->nresults; i++) {
        site.index = (Py_ssize_t)i;
        rc = py_value_from_py(st, env->store, PySequence_Fast_GET_ITEM(seq, i), env->results[i],
                           &site, &results[i]);
    }
    Py_DECREF(seq);
    return rc;
}

/* Calls the Python callable with the converted args (after a Caller when the env asks for
 * one); -1 with an exception. */
static int host_invoke(HostEnv *env, const wk_caller_t *caller, const wk_val_t *args,
                       size_t nargs, wk_val_t *results)
{
    if (!env->callable) {
        PyErr_SetString(PyExc_RuntimeError, "host function used after its store was cleared");
        return -1;
    }
    WkState *st = py_state_of((PyObject *)env->store);
    PyObject *inline_stack[FUNC_INLINE_VALS + 1];
    PyObject **stack = inline_stack;
    size_t first = env->with_caller, n = nargs + first;
    if (n > FUNC_INLINE_VALS + 1 && !(stack = PyMem_Malloc(n * sizeof *stack))) {
        PyErr_NoMemory();
        return -1;
    }
    size_t made = 0;
    PyObject *r = NULL;
    if (first && !(stack[made++] = py_caller_new(st, (PyObject *)env->store, caller))) goto done;
    for (; made < n; made++)
        if (!(stack[made] = py_value_to_py(st, (PyObject *)env->store, &args[made - first])))
            goto done;
    r = PyObject_Vectorcall(env->callable, stack, n, NULL);
done:
    if (first && made) py_caller_expire(stack[0]);
    for (size_t i = 0; i < made; i++)
        Py_DECREF(stack[i]);
    if (stack != inline_stack) PyMem_Free(stack);
    if (!r) return -1;
    int rc = host_results(st, env, r, results);
    Py_DECREF(r);
    return rc;
}

/* The wk_host_callback_t of every Python host function: takes the GIL, calls, and turns a
 * Python exception into a trap carrying it. */
static wk_trap_t *host_call(void *data, const wk_caller_t *caller, const wk_val_t *args,
                            wk_val_t *results)
{
    HostEnv *env = data;
    PyGILState_STATE g = PyGILState_Ensure();
    wk_trap_t *trap = NULL;
    if (host_invoke(env, caller, args, env->nparams, results) < 0) trap = py_errors_stash_trap();
    PyGILState_Release(g);
    return trap;
}

/* Registers env with the store (for the GC); -1 with MemoryError. */
static int store_add_env(StoreObject *s, HostEnv *env)
{
    if (s->nenvs == s->capenvs) {
        size_t cap = s->capenvs ? 2 * s->capenvs : 8;
        HostEnv **envs = PyMem_Realloc(s->envs, cap * sizeof *envs);
        if (!envs) {
            PyErr_NoMemory();
            return -1;
        }
        s->envs = envs;
        s->capenvs = cap;
    }
    s->envs[s->nenvs++] = env;
    return 0;
}

wk_func_t *py_store_host_func(StoreObject *s, const wk_functype_t *type, PyObject *callable,
                           PyObject *name, bool with_caller)
{
    s = py_store_root(s);
    HostEnv *env = PyMem_RawMalloc(sizeof *env + type->nresults);
    if (!env) {
        PyErr_NoMemory();
        return NULL;
    }
    env->callable = Py_NewRef(callable);
    env->name = Py_NewRef(name);
    env->store = s;
    env->with_caller = with_caller;
    env->nparams = type->nparams;
    env->nresults = type->nresults;
    memcpy(env->results, type->results, type->nresults);
    if (store_add_env(s, env) < 0) {
        env_free(env);
        return NULL;
    }
    wk_func_t *f = wk_func_new(s->store, type, host_call, env, env_free);
    if (!f) {
        s->nenvs--;
        env_free(env);
        PyErr_NoMemory();
    }
    return f;
}

/* ---- the Store type ---------------------------------------------------------------------- */

static int store_traverse(PyObject *op, visitproc visit, void *arg)
{
    StoreObject *s = (StoreObject *)op;
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(s->parent);
    Py_VISIT(s->externs);
    for (size_t i = 0; i < s->nenvs; i++)
        Py_VISIT(s->envs[i]->callable);
    return 0;
}

static int store_clear(PyObject *op)
{
    StoreObject *s = (StoreObject *)op;
    Py_CLEAR(s->externs);
    for (size_t i = 0; i < s->nenvs; i++)
        Py_CLEAR(s->envs[i]->callable);
    return 0; /* the parent stays: the objects of s live in it */
}

static void store_dealloc(PyObject *op)
{
    StoreObject *s = (StoreObject *)op;
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    wk_store_delete(s->store); /* runs env_free for every host function */
    PyMem_Free(s->envs);
    Py_CLEAR(s->externs);
    Py_CLEAR(s->parent);
    PyObject_GC_Del(op);
    Py_DECREF(type);
}

static PyType_Slot store_slots[] = {
    {Py_tp_doc, "The runtime store behind instances and their exports (internal). Objects of "
                "one store are used by one thread at a time; others wait."},
    {Py_tp_traverse, store_traverse},
    {Py_tp_clear, store_clear},
    {Py_tp_dealloc, store_dealloc},
    {0, NULL},
};

static PyType_Spec store_spec = {
    .name = "wasmkiln.Store",
    .basicsize = sizeof(StoreObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE |
             Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = store_slots,
};

int py_store_init(PyObject *mod, WkState *st)
{
    st->store_type = py_add_type(mod, &store_spec, NULL);
    return st->store_type ? 0 : -1;
}
