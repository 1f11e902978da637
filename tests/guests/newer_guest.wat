;; A core module (guest ABI 1) built for a later revision of the contract
;; (sdk/ABI.md section 8): its describe document and its reply carry fields
;; this host does not know, at every level, and it exports a capability this
;; host does not know (`palisade_evaluate_batch`, which traps if called). The
;; host must ignore all of them: the pack loads and its violation is reported.
;; The batch and the request are ignored (every buffer is at 65536).
(module
  (memory (export "memory") 16)
  (data (i32.const 1024) "{\"name\":\"newer-guest\",\"version\":\"1.1.0\",\"description\":\"A pack built for a later revision of guest ABI 1: fields and an export this host does not know.\",\"contract\":\"1.1.0\",\"policies\":[{\"name\":\"public-bucket\",\"description\":\"Names one bucket.\",\"severity\":\"high\",\"enforcement_level\":\"mandatory\",\"kind\":\"resource\",\"resource_types\":[\"aws_s3_bucket\"],\"since\":\"1.1.0\",\"examples\":[{\"compliant\":false}]}]}")
  (data (i32.const 8192) "{\"violations\":[{\"resource\":\"aws_s3_bucket.public_site\",\"message\":\"The bucket is public.\",\"undecided\":false,\"confidence\":0.9,\"links\":[\"https://example.com/public-buckets\"]}],\"stats\":{\"evaluated\":1}}")
  (func (export "palisade_abi_version") (result i32) (i32.const 1))
  (func (export "palisade_alloc") (param i32) (result i32) (i32.const 65536))
  (func (export "palisade_describe") (result i64)
    (i64.or (i64.shl (i64.const 395) (i64.const 32)) (i64.const 1024)))
  (func (export "palisade_load") (param i32 i32) (result i64) (i64.const 0))
  (func (export "palisade_evaluate") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 197) (i64.const 32)) (i64.const 8192)))
  (func (export "palisade_evaluate_batch") (param i32 i32) (result i64) unreachable)
)
