;; A start function that calls a Python import.
(module
  (import "env" "hello" (func $h (param i32)))
  (func $s i32.const 7 call $h)
  (start $s))
