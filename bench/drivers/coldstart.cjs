// Cold-start driver for V8 (Node.js, default flags: lazy Liftoff + tier-up), for bench/coldstart.
//   node coldstart.cjs KIND FILE [FIRST_N WORK_N REPEAT]
// The same measurement and the same minimal WASI shim as coldstart.py / wasi_shim.py: prints
// "module_s=.. first_s=.. work_s=.. result=..", times from just before new WebAssembly.Module.
'use strict';
const fs = require('fs');
const crypto = require('crypto');

const ESUCCESS = 0, EBADF = 8, ENOSYS = 52;

class Exit extends Error {
    constructor(code) { super(`exit ${code}`); this.code = code; }
}

function wasiImports(module, state) {
    const view = () => new DataView(state.memory.buffer);
    const known = {
        fd_write(fd, iovs, n, nwritten) {
            const v = view();
            let total = 0;
            for (let i = 0; i < n; i++) total += v.getUint32(iovs + 8 * i + 4, true);
            v.setUint32(nwritten, total, true);
            return fd === 1 || fd === 2 ? ESUCCESS : EBADF;
        },
        environ_sizes_get(c, s) { view().setUint32(c, 0, true); view().setUint32(s, 0, true); return ESUCCESS; },
        args_sizes_get(c, s) { view().setUint32(c, 0, true); view().setUint32(s, 0, true); return ESUCCESS; },
        environ_get() { return ESUCCESS; },
        args_get() { return ESUCCESS; },
        clock_time_get(clock, precision, out) {
            const ns = clock === 1 ? process.hrtime.bigint() : BigInt(Date.now()) * 1000000n;
            view().setBigUint64(out, ns, true);
            return ESUCCESS;
        },
        random_get(ptr, size) {
            crypto.randomFillSync(new Uint8Array(state.memory.buffer, ptr, size));
            return ESUCCESS;
        },
        proc_exit(code) { throw new Exit(code); },
        sched_yield() { return ESUCCESS; },
        fd_prestat_get() { return EBADF; },
    };
    const funcs = {};
    for (const imp of WebAssembly.Module.imports(module))
        if (imp.module === 'wasi_snapshot_preview1')
            funcs[imp.name] = known[imp.name] || (() => ENOSYS);
    return { wasi_snapshot_preview1: funcs };
}

const now = () => process.hrtime.bigint();
const secs = (a, b) => (Number(b - a) / 1e9).toFixed(6);

const [kind, file, firstN, workN, repeat] = process.argv.slice(2);
const bytes = fs.readFileSync(file);
const t0 = now();
const wasmModule = new WebAssembly.Module(bytes);
const t1 = now();
let result, t2, t3;
if (kind === 'wasi') {
    const state = {};
    const inst = new WebAssembly.Instance(wasmModule, wasiImports(wasmModule, state));
    state.memory = inst.exports.memory;
    try {
        inst.exports._start();
        result = 0;
    } catch (e) {
        if (!(e instanceof Exit)) throw e;
        result = e.code;
    }
    t2 = t3 = now();
} else {
    const f = new WebAssembly.Instance(wasmModule, {}).exports[kind];
    f(Number(firstN));
    t2 = now();
    for (let i = 0; i < Number(repeat); i++) result = f(Number(workN)) >>> 0;
    t3 = now();
}
console.log(`module_s=${secs(t0, t1)} first_s=${secs(t0, t2)} work_s=${secs(t0, t3)} result=${result}`);
