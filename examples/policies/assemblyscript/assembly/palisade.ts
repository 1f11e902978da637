// The Palisade helper layer for AssemblyScript: guest ABI v1 (sdk/ABI.md),
// a compact JSON reader and writer, resources, the unknown sentinel and
// findings. A policy file imports from here and holds only policy logic;
// `index.ts` exports the five ABI functions for one `Pack`.

import { Json, JsonObject, JsonWriter, Parser } from "./json";

export { Json, JsonKind, JsonWriter, UNKNOWN, parseJson } from "./json";

// ---------------------------------------------------------------- findings

/** Why a resource does not pass a policy. */
export class Finding {
  constructor(
    readonly message: string,
    readonly undecided: bool,
  ) {}
}

/** What a check returns: `null` passes. */
export type Outcome = Finding | null;

/** The resource passes. */
export function pass(): Outcome {
  return null;
}

/** The resource breaks the policy; `message` says how (never echo secrets). */
export function violation(message: string): Outcome {
  return new Finding(message, false);
}

/** The policy cannot decide because a value it needs is unknown. */
export function undecided(message: string): Outcome {
  return new Finding(message, true);
}

// ---------------------------------------------------------------- resources and policies

/** One resource of the loaded batch (ABI section 4). */
export class Resource {
  constructor(
    readonly json: Json,
    readonly index: i32,
  ) {}

  get address(): string {
    return this.json.get("address").strOr("");
  }

  get resourceType(): string {
    return this.json.get("type").strOr("");
  }

  get op(): string {
    return this.json.get("op").strOr("");
  }

  /** The values the resource will have: an object, or null. */
  get props(): Json {
    return this.json.get("props");
  }

  /** The property `key` of `props`. */
  get(key: string): Json {
    return this.props.get(key);
  }
}

/** The check of a resource policy: `config` is the request's config object. */
export type Check = (resource: Resource, config: Json) => Outcome;

function passAll(resource: Resource, config: Json): Outcome {
  return null;
}

/** A resource policy and its metadata (ABI section 3). */
export class Policy {
  name: string = "";
  description: string = "";
  /** `low`, `medium`, `high` or `critical`. */
  severity: string = "medium";
  /** `advisory`, `mandatory`, `remediate` or `disabled`. */
  enforcementLevel: string = "advisory";
  resourceTypes: Array<string> = [];
  /** A JSON Schema, as JSON text. */
  configSchema: string = '{"type":"object"}';
  help: string = "";
  check: Check = passAll;
}

// ---------------------------------------------------------------- the ABI

const MAX_INPUT: i32 = 0x3000_0000;

/** Input buffers handed out by `palisade_alloc` and not yet used. */
const inputPtrs = new Array<usize>();
const inputSizes = new Array<usize>();
/** The last reply, alive until the next call replaces it. */
let reply = new ArrayBuffer(0);
let batch: Array<Resource> | null = null;
/** Why the last `takeInput` gave `null`. */
let inputError = "";

/** `palisade_abi_version`. */
export function palisade_abi_version(): i32 {
  return 1;
}

/** `palisade_alloc`: `len` bytes, not moved nor collected until consumed. */
export function palisade_alloc(len: i32): i32 {
  if (len < 0 || len > MAX_INPUT) return 0;
  const ptr = heap.alloc(<usize>len);
  inputPtrs.push(ptr);
  inputSizes.push(<usize>len);
  return <i32>ptr;
}

function packReply(w: JsonWriter): i64 {
  reply = w.buffer;
  return (<i64>w.length << 32) | <i64>(<u32>changetype<usize>(reply));
}

function errorReply(message: string): i64 {
  return packReply(new JsonWriter().raw('{"error":').str(message).raw("}"));
}

/** Parses the input buffer `(ptr, len)` and frees it; `null` with `inputError`. */
function takeInput(ptr: i32, len: i32, what: string): Json | null {
  const i = inputPtrs.indexOf(<usize>ptr);
  if (i < 0) {
    inputError =
      "input buffer at " +
      (<u32>ptr).toString() +
      " was not allocated by palisade_alloc (or was already used)";
    return null;
  }
  const size = inputSizes[i];
  inputPtrs.splice(i, 1);
  inputSizes.splice(i, 1);
  let value: Json | null = null;
  if (<usize>(<u32>len) > size) {
    const asked = (<u32>len).toString();
    inputError = "input length " + asked + " exceeds the " + size.toString() + " bytes allocated";
  } else {
    const parser = new Parser(<usize>ptr, <usize>(<u32>len));
    value = parser.document();
    if (value === null) inputError = "invalid " + what + ": " + parser.error;
  }
  heap.free(<usize>ptr);
  return value;
}

/** A policy pack: what `index.ts` exports through the ABI. */
export class Pack {
  constructor(
    readonly name: string,
    readonly version: string,
    readonly description: string,
    readonly policies: Array<Policy>,
  ) {}

  /** `palisade_describe`. */
  describe(): i64 {
    const w = new JsonWriter();
    w.raw('{"name":').str(this.name).raw(',"version":').str(this.version);
    w.raw(',"description":').str(this.description).raw(',"policies":[');
    for (let i = 0; i < this.policies.length; i++) {
      const p = this.policies[i];
      if (i > 0) w.raw(",");
      w.raw('{"name":').str(p.name).raw(',"description":').str(p.description);
      w.raw(',"severity":').str(p.severity).raw(',"enforcement_level":').str(p.enforcementLevel);
      w.raw(',"kind":"resource","resource_types":').strs(p.resourceTypes);
      w.raw(',"config_schema":').raw(p.configSchema);
      if (p.help.length > 0) w.raw(',"help":').str(p.help);
      w.raw("}");
    }
    return packReply(w.raw("]}"));
  }

  /** `palisade_load`: keeps the batch; an empty reply on success. */
  load(ptr: i32, len: i32): i64 {
    batch = null;
    const doc = takeInput(ptr, len, "batch");
    if (doc === null) return errorReply(inputError);
    const items = doc.get("resources");
    if (!items.isArray()) return errorReply("invalid batch: resources must be an array");
    const resources = new Array<Resource>();
    for (let i = 0; i < items.length; i++) {
      const r = items.at(i);
      if (!r.isObject() || r.get("address").str() === null) {
        return errorReply("invalid batch: resource " + i.toString() + " has no address");
      }
      resources.push(new Resource(r, i));
    }
    batch = resources;
    reply = new ArrayBuffer(0);
    return 0;
  }

  /** `palisade_evaluate`: runs one policy on the loaded batch. */
  evaluate(ptr: i32, len: i32): i64 {
    const request = takeInput(ptr, len, "evaluate request");
    if (request === null) return errorReply(inputError);
    const name = request.get("policy").str();
    if (name === null) return errorReply("invalid evaluate request: policy must be a string");
    const resources = batch;
    if (resources === null) return errorReply("no batch is loaded: call palisade_load first");
    let policy: Policy | null = null;
    for (let i = 0; i < this.policies.length; i++) {
      if (this.policies[i].name == name) policy = this.policies[i];
    }
    if (policy === null) {
      return errorReply('pack "' + this.name + '" has no policy "' + name + '"');
    }
    let config = request.get("config");
    if (config.isAbsent() || config.isNull()) config = new JsonObject();
    const targets = request.get("targets");
    if (!targets.isAbsent() && !targets.isArray()) {
      return errorReply("invalid evaluate request: targets must be an array");
    }
    const w = new JsonWriter().raw('{"violations":[');
    let count = 0;
    for (let i = 0; i < targets.length; i++) {
      const t = targets.at(i).numOr(-1);
      if (!(t >= 0 && t < <f64>resources.length && Math.floor(t) == t)) {
        const size = resources.length.toString();
        const at = "targets[" + i.toString() + "]";
        return errorReply(at + " is not an index of the loaded batch of " + size + " resources");
      }
      const resource = resources[<i32>t];
      const finding = policy.check(resource, config);
      if (finding === null) continue;
      if (count++ > 0) w.raw(",");
      w.raw('{"policy":').str(name).raw(',"resource":').str(resource.address);
      w.raw(',"message":').str(finding.message);
      w.raw(',"undecided":').bool(finding.undecided).raw("}");
    }
    return packReply(w.raw("]}"));
  }
}
