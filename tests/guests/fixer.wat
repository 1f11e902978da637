;; A test pack (guest ABI v1, sdk/ABI.md) whose policies propose fixes
;; (section 5, "Remediation"): `good-fix` a valid JSON Patch, `bad-fix` a patch
;; that does not apply, `json-text-fix` a string (what a component's text that
;; is not JSON becomes), `empty-fix` an empty patch (no fix), `stack-fix` a
;; stack policy with a fix (set to remediate it runs as mandatory, the fix
;; dropped). The policy is picked by the first letter of its name, at byte 11
;; of the request ({"policy":"NAME",...}). Built from this source by the tests.
(module
  (memory (export "memory") 2)
  (global $bump (mut i32) (i32.const 65536))
  (data (i32.const 1024) "{\"name\":\"fixer\",\"version\":\"1.0.0\",\"description\":\"Test pack: policies that propose fixes (sdk/ABI.md section 5, Remediation).\",\"policies\":[{\"name\":\"good-fix\",\"description\":\"proposes a valid JSON Patch for every S3 bucket\",\"severity\":\"high\",\"enforcement_level\":\"advisory\",\"kind\":\"resource\",\"resource_types\":[\"aws_s3_bucket\"]},{\"name\":\"bad-fix\",\"description\":\"proposes a patch of a path the resource does not have\",\"severity\":\"high\",\"enforcement_level\":\"advisory\",\"kind\":\"resource\",\"resource_types\":[\"aws_s3_bucket\"]},{\"name\":\"json-text-fix\",\"description\":\"sends a remediation that is a string, as a component's text that is not JSON becomes\",\"severity\":\"high\",\"enforcement_level\":\"advisory\",\"kind\":\"resource\",\"resource_types\":[\"aws_s3_bucket\"]},{\"name\":\"empty-fix\",\"description\":\"proposes an empty patch: no fix\",\"severity\":\"high\",\"enforcement_level\":\"advisory\",\"kind\":\"resource\",\"resource_types\":[\"aws_s3_bucket\"]},{\"name\":\"stack-fix\",\"description\":\"a stack policy that proposes a fix\",\"severity\":\"medium\",\"enforcement_level\":\"advisory\",\"kind\":\"stack\"}]}")
  (data (i32.const 8192) "{\"violations\":[{\"resource\":\"aws_s3_bucket.logs\",\"message\":\"the ACL is public\",\"remediation\":{\"patch\":[{\"op\":\"replace\",\"path\":\"/acl\",\"value\":\"private\"}]}}]}")
  (data (i32.const 12288) "{\"violations\":[{\"resource\":\"aws_s3_bucket.logs\",\"message\":\"bad fix\",\"remediation\":{\"patch\":[{\"op\":\"remove\",\"path\":\"/nope\"}]}}]}")
  (data (i32.const 16384) "{\"violations\":[{\"resource\":\"aws_s3_bucket.logs\",\"message\":\"stack finding\",\"remediation\":{\"tags\":{\"set\":{\"a\":\"b\"}}}}]}")
  (data (i32.const 20480) "{\"violations\":[{\"resource\":\"aws_s3_bucket.logs\",\"message\":\"text fix\",\"remediation\":\"not json\"}]}")
  (data (i32.const 24576) "{\"violations\":[{\"resource\":\"aws_s3_bucket.logs\",\"message\":\"empty fix\",\"remediation\":{\"patch\":[]}}]}")
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
    (call $reply (i32.const 1024) (i32.const 1053)))
  (func (export "palisade_load") (param i32 i32) (result i64) (i64.const 0))
  (func (export "palisade_evaluate") (param $ptr i32) (param $len i32) (result i64)
    (local $c i32)
    (local.set $c (i32.load8_u (i32.add (local.get $ptr) (i32.const 11))))
    ;; b: bad-fix
    (if (i32.eq (local.get $c) (i32.const 98)) (then (return (call $reply (i32.const 12288) (i32.const 127)))))
    ;; s: stack-fix
    (if (i32.eq (local.get $c) (i32.const 115)) (then (return (call $reply (i32.const 16384) (i32.const 117)))))
    ;; j: json-text-fix
    (if (i32.eq (local.get $c) (i32.const 106)) (then (return (call $reply (i32.const 20480) (i32.const 96)))))
    ;; e: empty-fix
    (if (i32.eq (local.get $c) (i32.const 101)) (then (return (call $reply (i32.const 24576) (i32.const 99)))))
    ;; g: good-fix
    (call $reply (i32.const 8192) (i32.const 155)))
)
