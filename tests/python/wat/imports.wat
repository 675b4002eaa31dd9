;; Imports Python functions of several types, plus re-entrant calls back into its exports.
(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (import "env" "pair" (func $pair (param f64) (result i64 f32)))
  (import "env" "with_memory" (func $with_memory (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (func (export "call_add") (param i32 i32) (result i32) local.get 0 local.get 1 call $add)
  (func (export "call_log") (param i32) local.get 0 call $log)
  (func (export "call_pair") (param f64) (result i64 f32) local.get 0 call $pair)
  ;; malloc(n): a bump allocator the host calls back into.
  (func (export "malloc") (param i32) (result i32) (local i32)
    global.get $heap local.set 1
    global.get $heap local.get 0 i32.add global.set $heap
    local.get 1)
  ;; Asks the host to store a string of n bytes; returns the sum of its bytes.
  (func (export "store_and_sum") (param i32) (result i32) (local i32 i32 i32)
    i32.const 0 local.get 0 call $with_memory local.set 1
    (block (loop
      (br_if 1 (i32.ge_u (local.get 2) (local.get 0)))
      (local.set 3 (i32.add (local.get 3)
                            (i32.load8_u (i32.add (local.get 1) (local.get 2)))))
      (local.set 2 (i32.add (local.get 2) (i32.const 1)))
      (br 0)))
    local.get 3))
