;; A hostile test pack (guest ABI v1, sdk/ABI.md): one well-behaved policy and
;; one policy per failure the host must contain. The policy to run is picked by
;; the first letter of its name, at byte 11 of the request: Palisade's host
;; serializes the request as {"policy":"NAME",...} (field order of its Request
;; struct). It exports `_initialize`, which the host must call first.
;; Built from this source by the tests (`wat` crate).
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (global $bump (mut i32) (i32.const 65536))
  ;; Set by _initialize; evaluate traps without it (proves the host calls it).
  (global $ready (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $ready (i32.const 1)))
  (data (i32.const 1024) "{\"name\":\"hostile\",\"version\":\"1.0.0\",\"description\":\"Test pack: one good policy and one of each failure.\",\"policies\":[{\"name\":\"good-policy\",\"description\":\"finds every S3 bucket\",\"severity\":\"high\",\"enforcement_level\":\"mandatory\",\"kind\":\"resource\",\"resource_types\":[\"aws_s3_bucket\",\"aws:s3/bucket:Bucket\"],\"help\":\"test only\"},{\"name\":\"loop-policy\",\"description\":\"loops forever\",\"severity\":\"high\",\"enforcement_level\":\"mandatory\",\"kind\":\"resource\",\"resource_types\":[\"aws_s3_bucket\",\"aws:s3/bucket:Bucket\"],\"help\":\"test only\"},{\"name\":\"bomb-policy\",\"description\":\"grows memory without bound\",\"severity\":\"high\",\"enforcement_level\":\"mandatory\",\"kind\":\"resource\",\"resource_types\":[\"aws_s3_bucket\",\"aws:s3/bucket:Bucket\"],\"help\":\"test only\"},{\"name\":\"trap-policy\",\"description\":\"executes unreachable\",\"severity\":\"high\",\"enforcement_level\":\"mandatory\",\"kind\":\"resource\",\"resource_types\":[\"aws_s3_bucket\",\"aws:s3/bucket:Bucket\"],\"help\":\"test only\"},{\"name\":\"exit-policy\",\"description\":\"calls WASI proc_exit\",\"severity\":\"high\",\"enforcement_level\":\"mandatory\",\"kind\":\"resource\",\"resource_types\":[\"aws_s3_bucket\",\"aws:s3/bucket:Bucket\"],\"help\":\"test only\"},{\"name\":\"abi-liar-policy\",\"description\":\"names a resource it was not given\",\"severity\":\"high\",\"enforcement_level\":\"mandatory\",\"kind\":\"resource\",\"resource_types\":[\"aws_s3_bucket\",\"aws:s3/bucket:Bucket\"],\"help\":\"test only\"}]}")
  (data (i32.const 8192) "{\"violations\":[{\"resource\":\"aws_s3_bucket.logs\",\"message\":\"found by good-policy\"}]}")
  (data (i32.const 12288) "{\"violations\":[{\"resource\":\"aws_s3_bucket.not_given\",\"message\":\"made up\"}]}")
  (func (export "palisade_abi_version") (result i32) (i32.const 1))
  (func (export "palisade_alloc") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get $len)))
    (block $done
      (loop $grow
        (br_if $done (i32.le_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then (return (i32.const 0))))
        (br $grow)))
    (local.get $ptr))
  (func $reply (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 32)) (i64.extend_i32_u (local.get $ptr))))
  (func (export "palisade_describe") (result i64)
    (call $reply (i32.const 1024) (i32.const 1364)))
  (func (export "palisade_load") (param i32 i32) (result i64) (i64.const 0))
  (func (export "palisade_evaluate") (param $ptr i32) (param $len i32) (result i64)
    (local $c i32)
    (if (i32.eqz (global.get $ready)) (then unreachable))
    (local.set $c (i32.load8_u (i32.add (local.get $ptr) (i32.const 11))))
    ;; l: loop forever (the deadline must stop it)
    (if (i32.eq (local.get $c) (i32.const 108)) (then (loop $forever (br $forever))))
    ;; b: memory bomb (the memory cap must stop it)
    (if (i32.eq (local.get $c) (i32.const 98)) (then (loop $grow (drop (memory.grow (i32.const 256))) (br $grow))))
    ;; t: trap
    (if (i32.eq (local.get $c) (i32.const 116)) (then unreachable))
    ;; e: WASI proc_exit
    (if (i32.eq (local.get $c) (i32.const 101)) (then (call $proc_exit (i32.const 3))))
    ;; a: a violation of a resource it was not given
    (if (i32.eq (local.get $c) (i32.const 97)) (then (return (call $reply (i32.const 12288) (i32.const 75)))))
    ;; g: one violation on aws_s3_bucket.logs
    (call $reply (i32.const 8192) (i32.const 83)))
)
