;; Imports a memory, a global, a table and a function, and uses them.
(module
  (import "lib" "mem" (memory 1))
  (import "lib" "g" (global $g (mut i32)))
  (import "lib" "tab" (table 1 funcref))
  (import "lib" "triple" (func $triple (param i32) (result i32)))
  (func (export "triple_g") (result i32) global.get $g call $triple)
  (func (export "set_g") (param i32) local.get 0 global.set $g)
  (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
  (func (export "call_table") (param i32) (result i32)
    local.get 0 i32.const 0 call_indirect (param i32) (result i32)))
