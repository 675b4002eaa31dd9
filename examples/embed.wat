;; A module for examples/embed.c: a host import, a recursive export, a trapping export.
(module
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (func $fac (export "fac") (param $n i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (i64.const 1))
      (else (i64.mul (local.get $n) (call $fac (i64.sub (local.get $n) (i64.const 1)))))))
  (func (export "log_twice") (param $x i32)
    (call $log (local.get $x))
    (call $log (i32.mul (local.get $x) (i32.const 2))))
  (func (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1))))
