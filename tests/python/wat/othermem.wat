;; One memory exported under another name than "memory", plus globals and a table.
(module
  (memory (export "heap") 1 3)
  (global (export "counter") (mut i32) (i32.const 5))
  (global (export "pi") f64 (f64.const 3.25))
  (global (export "big") (mut i64) (i64.const -1))
  (table (export "table") 2 10 funcref)
  (func $seven (export "seven") (result i32) i32.const 7)
  (elem (i32.const 0) $seven)
  (func (export "get_counter") (result i32) global.get 0)
  (func (export "call_slot") (param i32) (result i32) local.get 0 call_indirect (result i32))
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
