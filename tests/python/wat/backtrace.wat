;; [debug-names] Named functions for backtraces: traps reached directly, through a table and through a
;; Python callback. Calls go through the table where LLVM would inline a direct call.
(module $bt
  (import "env" "cb" (func $cb (param i32)))
  (type $v (func))
  (table (export "table") 2 funcref)
  (elem (i32.const 0) $crash $_ZN5hello4main17h0123456789abcdefE)
  (func $crash (export "crash") unreachable)
  (func $_ZN5hello4main17h0123456789abcdefE (call_indirect (type $v) (i32.const 0))) ;; not inlined
  (func $via_table (export "via_table") (param i32) (call_indirect (type $v) (local.get 0)))
  (func $calls_cb (export "calls_cb") (param i32) (call $cb (local.get 0))))
