// Runs a WASI command under Node.js's WASI (preview 1): node node_wasi.mjs FILE.wasm [ARGS...]
// with stdin, stdout and stderr passed through; exits with the guest's exit code.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { argv, exit } from 'node:process';

const wasi = new WASI({ version: 'preview1', args: argv.slice(2), env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(argv[2]));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
exit(wasi.start(instance));
