;; The seed README's my_program.wasm: sum, return_string (a pointer to a C string), memory.
(module
  (memory (export "memory") 1)
  (data (i32.const 1024) "Hello, World!\00")
  (func (export "sum") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add)
  (func (export "return_string") (result i32)
    i32.const 1024))
