;; A start function that traps.
(module (func $s unreachable) (start $s))
