;; A pack whose describe never returns: the deadline stops it at load time and
;; the fault is attributed to the pack.
(module
  (memory (export "memory") 1)
  (func (export "palisade_abi_version") (result i32) (i32.const 1))
  (func (export "palisade_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "palisade_describe") (result i64) (loop $l (br $l)) (i64.const 0))
  (func (export "palisade_load") (param i32 i32) (result i64) (i64.const 0))
  (func (export "palisade_evaluate") (param i32 i32) (result i64) (i64.const 0))
)
