;; Imports only a mutable global, to link with a host-made Global.
(module
  (import "env" "g" (global $g (mut i64)))
  (func (export "bump") global.get $g i64.const 1 i64.add global.set $g))
