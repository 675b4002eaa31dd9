;; Self-test of the spec runner: each assertion is marked with what the runner must report.
;; selftest.expected holds the exact report; check.sh compares.
(module
  (func (export "one") (result i32) (i32.const 1))
  (func (export "arith_nan") (result f32) (f32.const nan:0x600000))
  (func (export "canon_nan") (result f64) (f64.const -nan))
  (func (export "pair") (result i32 i64) (i32.const 1) (i64.const -1))
  (func (export "trap") (unreachable))
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "null") (result funcref) (ref.null func))
  (func (export "a\00b") (result i32) (i32.const 3))
  (global (export "g") i32 (i32.const 7))
)
(assert_return (invoke "one") (i32.const 1))                        ;; pass
(assert_return (invoke "one") (i32.const 2))                        ;; FAIL: wrong value
(assert_return (invoke "arith_nan") (f32.const nan:arithmetic))     ;; pass
(assert_return (invoke "arith_nan") (f32.const nan:canonical))      ;; FAIL: not canonical
(assert_return (invoke "canon_nan") (f64.const nan:canonical))      ;; pass
(assert_return (invoke "pair") (i32.const 1) (i64.const -1))        ;; pass
(assert_trap (invoke "trap") "unreachable")                         ;; pass
(assert_trap (invoke "one") "unreachable")                          ;; FAIL: no trap
(assert_return (invoke "id" (ref.extern 1)) (ref.extern 1))         ;; pass
(assert_return (invoke "id" (ref.extern 1)) (ref.extern 2))         ;; FAIL: other extern
(assert_return (invoke "id" (ref.null extern)) (ref.null extern))   ;; pass
(assert_return (invoke "null") (ref.null func))                     ;; pass
(assert_return (invoke "a\00b") (i32.const 3))                      ;; pass: NUL in a name
(assert_return (get "g") (i32.const 7))                             ;; pass
(assert_invalid (module (func (result i32))) "type mismatch")       ;; pass
(assert_invalid (module (func)) "type mismatch")                    ;; FAIL: valid
(assert_malformed (module binary "\00asm") "unexpected end")        ;; pass
(assert_malformed (module quote "(module (func (i32.foo)))") "unknown operator") ;; pass: text
(assert_unlinkable (module (import "spectest" "nope" (func))) "unknown import")   ;; pass
(assert_trap (module (func $f unreachable) (start $f)) "unreachable")     ;; pass: uninstantiable

(module (func $r (export "r") (call $r)))
(assert_exhaustion (invoke "r") "call stack exhausted")             ;; pass

(module
  (import "spectest" "print_i32" (func (param i32)))
  (import "spectest" "global_i32" (global i32))
  (import "spectest" "memory" (memory 1))
  (import "spectest" "table" (table 10 funcref))
  (func (export "g") (result i32) (call 0 (i32.const 1)) (global.get 0))
)
(assert_return (invoke "g") (i32.const 666))                        ;; pass: spectest

(module $A (func (export "f") (result i32) (i32.const 5)))
(register "A" $A)
(module $B (import "A" "f" (func $f (result i32))) (func (export "call") (result i32) (call $f)))
(assert_return (invoke $B "call") (i32.const 5))                    ;; pass: linking
(assert_return (invoke $A "f") (i32.const 5))                       ;; pass: named module
(assert_unlinkable (module (import "A" "f" (func (param i32)))) "incompatible import type")  ;; pass
