;; Imports only a memory, to link with a host-made Memory.
(module
  (import "env" "mem" (memory 1))
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "size") (result i32) memory.size))
