;; A memory of zero pages that Wasm code grows.
(module
  (memory (export "m") 0 2)
  (func (export "grow") (result i32) i32.const 1 memory.grow))
