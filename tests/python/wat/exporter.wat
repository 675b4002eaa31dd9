;; Exports one of each extern kind for another module to import.
(module
  (memory (export "mem") 1)
  (global (export "g") (mut i32) (i32.const 42))
  (table (export "tab") 1 funcref)
  (func $triple (export "triple") (param i32) (result i32)
    local.get 0 i32.const 3 i32.mul)
  (elem (i32.const 0) $triple))
