(module $bt
  (import "env" "cb" (func $cb))
  (type $v (func))
  (type $ii (func (param i32) (result i32)))
  (table 5 funcref)
  (elem (i32.const 0) $unreach $div_entry $_ZN4core9panicking5panic17h0123456789abcdefE 9 $div)
  (func $unreach unreachable)
  (func $div (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  ;; through the table, so that LLVM cannot inline $div into $div_entry
  (func $div_entry (call_indirect (type $ii) (i32.const 0) (i32.const 4)) drop)
  ;; traps through a table: via_table(0) -> unreach, via_table(1) -> div_entry -> div
  (func $via_table (export "via_table") (param i32) (call_indirect (type $v) (local.get 0)))
  (func $_ZN4core9panicking5panic17h0123456789abcdefE unreachable)
  (func $calls_host (export "calls_host") (call $cb))
  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (call $deep (local.get 0)) (i32.const 1)))
  (func (export "exported") (param i32) (call_indirect (type $v) (local.get 0)))
  (func unreachable) ;; 9: neither a name nor an export
)
