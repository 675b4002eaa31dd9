;; Imports a memory and a function that may come from different stores (merged first).
(module $user
  (import "env" "mem" (memory 1))
  (import "env" "f" (func $f (result i32)))
  (func (export "run") (result i32)
    (i32.store (i32.const 0) (call $f))
    (i32.load (i32.const 0))))
