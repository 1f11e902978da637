// The module's exports: guest ABI v1 (sdk/ABI.md) for the pack of policy.ts.
import { PACK } from "./policy";

export { palisade_abi_version, palisade_alloc } from "./palisade";

export function palisade_describe(): i64 {
  return PACK.describe();
}

export function palisade_load(ptr: i32, len: i32): i64 {
  return PACK.load(ptr, len);
}

export function palisade_evaluate(ptr: i32, len: i32): i64 {
  return PACK.evaluate(ptr, len);
}
