// V8 engine driver (Node.js): compiles a kernel module and times run(n).
// Usage: node [v8 flags] node.cjs FILE.wasm N [WARM_N]
// Prints "checksum=<u32> run_s=<seconds> compile_s=<seconds>" (compile: bytes to instance).
'use strict';
const fs = require('fs');

const [file, nArg, warmArg] = process.argv.slice(2);
const bytes = fs.readFileSync(file);
const t0 = process.hrtime.bigint();
const mod = new WebAssembly.Module(bytes);
const instance = new WebAssembly.Instance(mod, {});
const t1 = process.hrtime.bigint();
const run = instance.exports.run;
if (warmArg !== undefined) run(Number(warmArg));
const t2 = process.hrtime.bigint();
const sum = run(Number(nArg)) >>> 0;
const t3 = process.hrtime.bigint();
const secs = (a, b) => (Number(b - a) / 1e9).toFixed(9);
console.log(`checksum=${sum} run_s=${secs(t2, t3)} compile_s=${secs(t0, t1)}`);
