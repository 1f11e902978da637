;; A pack that imports a host function Palisade does not provide (a network
;; call): refused at load time with the import's name.
(module
  (import "env" "http_get" (func (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "palisade_abi_version") (result i32) (i32.const 1))
  (func (export "palisade_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "palisade_describe") (result i64) (i64.const 0))
  (func (export "palisade_load") (param i32 i32) (result i64) (i64.const 0))
  (func (export "palisade_evaluate") (param i32 i32) (result i64) (i64.const 0))
)
