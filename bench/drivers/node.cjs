// V8 engine driver (Node.js): compiles a kernel module and times run(n).
//   node [v8 flags] node.cjs FILE.wasm N [WARM_N]
//     prints "checksum=<u32> run_s=<seconds> compile_s=<seconds>" (compile: bytes to instance)
//   node [v8 flags] node.cjs --compile FILE.wasm
//     prints "checksum=<run(1)> compile_s=<first> compile_warm_s=<second module>"
'use strict';
const fs = require('fs');

const now = () => process.hrtime.bigint();
const secs = (a, b) => (Number(b - a) / 1e9).toFixed(9);
const instantiate = (bytes) => new WebAssembly.Instance(new WebAssembly.Module(bytes), {});

function kernel(file, nArg, warmArg) {
    const bytes = fs.readFileSync(file);
    const t0 = now();
    const run = instantiate(bytes).exports.run;
    const t1 = now();
    if (warmArg !== undefined) run(Number(warmArg));
    const t2 = now();
    const sum = run(Number(nArg)) >>> 0;
    const t3 = now();
    console.log(`checksum=${sum} run_s=${secs(t2, t3)} compile_s=${secs(t0, t1)}`);
}

// The second module is the first plus an empty custom section "warm": the same code in
// different bytes, so V8's module cache cannot return the first compilation.
function compileTwice(file) {
    const bytes = fs.readFileSync(file);
    const again = Buffer.concat([bytes, Buffer.from([0x00, 0x05, 0x04, 0x77, 0x61, 0x72, 0x6d])]);
    const t0 = now();
    instantiate(bytes);
    const t1 = now();
    const run = instantiate(again).exports.run;
    const t2 = now();
    const sum = run(1) >>> 0;
    console.log(`checksum=${sum} compile_s=${secs(t0, t1)} compile_warm_s=${secs(t1, t2)}`);
}

const args = process.argv.slice(2);
if (args[0] === '--compile') compileTwice(args[1]);
else kernel(args[0], args[1], args[2]);
