;; A pack that claims guest ABI version 2: the host must refuse it at load time,
;; naming both versions.
(module
  (memory (export "memory") 1)
  (func (export "palisade_abi_version") (result i32) (i32.const 2))
  (func (export "palisade_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "palisade_describe") (result i64) (i64.const 0))
  (func (export "palisade_load") (param i32 i32) (result i64) (i64.const 0))
  (func (export "palisade_evaluate") (param i32 i32) (result i64) (i64.const 0))
)
