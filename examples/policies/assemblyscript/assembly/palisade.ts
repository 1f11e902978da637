// The Palisade helper layer for AssemblyScript: guest ABI v1 (sdk/ABI.md),
// a compact JSON reader and writer, resources, the unknown sentinel and
// findings. A policy file imports from here and holds only policy logic;
// `index.ts` exports the five ABI functions for one `Pack`.

import { Json, JsonKind, JsonObject, JsonWriter, Parser } from "./json";

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

  /** Paths (arrays of keys and indexes) of the values the configuration does not set. */
  get unset(): Json {
    return this.json.get("unset");
  }

  /** Paths of the values encrypted in this input. */
  get encrypted(): Json {
    return this.json.get("encrypted");
  }

  /** The root of `props` as a `Ref`, to navigate with `get` and `at`. */
  root(): Ref {
    return Ref.of(this, new Array<Step>(), this.props, false);
  }

  /** The property `key` of `props` with its state: `resource.ref("acl").state`. */
  ref(key: string): Ref {
    return this.root().get(key);
  }

  /** The state of the property `key` of `props`. */
  state(key: string): State {
    return this.ref(key).state;
  }
}

// ---------------------------------------------------------------- value states

/** The state of a value in `props` (ABI section 4, "Not set and encrypted values"). */
export enum State {
  /** No such key (or a key under a value that is not an object or array). */
  Absent,
  /** A JSON null. */
  Null,
  /** Not set in the configuration; the provider fills it in at apply. */
  Unset,
  /** Encrypted in this input (Pulumi ciphertext, `[secret]`). */
  Encrypted,
  /** Set by an expression known only after apply. */
  Unknown,
  /** A value. */
  Known,
}

/** Whether there is no value to read in `state`: unset, encrypted or unknown. */
export function hasNoValue(state: State): bool {
  return state == State.Unset || state == State.Encrypted || state == State.Unknown;
}

/** One step of a path: an object key, or an array index when `index >= 0`. */
export class Step {
  constructor(
    readonly key: string,
    readonly index: i32,
  ) {}
}

const NO_JSON = new Json(JsonKind.Absent);

/**
 * A value of a resource's `props` with its path and `State`. `get` and `at`
 * navigate: a missing key is absent, and under an unset, encrypted or
 * unknown value everything is in the same state. `configured()` reads unset
 * values as absent, for a policy that applies the provider's default; it
 * sticks through navigation.
 */
export class Ref {
  constructor(
    readonly resource: Resource | null,
    readonly path: Array<Step>,
    /** The value when `state` is `Known`, else an absent `Json`. */
    readonly value: Json,
    readonly state: State,
    /** Whether unset values read as absent here and below. */
    readonly isConfigured: bool,
  ) {}

  /** An absent value (under a `props` that is not an object, say). */
  static absent(): Ref {
    return new Ref(null, new Array<Step>(), NO_JSON, State.Absent, false);
  }

  /** The `Ref` of `value` at `path` of `resource`. */
  static of(resource: Resource, path: Array<Step>, value: Json, configured: bool): Ref {
    let state = State.Known;
    if (value.isAbsent()) state = State.Absent;
    else if (value.isNull()) state = State.Null;
    else if (value.isUnknown()) state = covering(resource, path);
    if (configured && state == State.Unset) state = State.Absent;
    return new Ref(resource, path, state == State.Known ? value : NO_JSON, state, configured);
  }

  isAbsent(): bool {
    return this.state == State.Absent;
  }

  isNull(): bool {
    return this.state == State.Null;
  }

  /** Whether the configuration does not set the value (the provider does). */
  isUnset(): bool {
    return this.state == State.Unset;
  }

  /** Whether the value is encrypted in this input. */
  isEncrypted(): bool {
    return this.state == State.Encrypted;
  }

  /** Whether the value is known only after apply. */
  isUnknown(): bool {
    return this.state == State.Unknown;
  }

  /** Whether there is a value to read (`value`). */
  isKnown(): bool {
    return this.state == State.Known;
  }

  /** The member `key` of an object. */
  get(key: string): Ref {
    return this.child(new Step(key, -1), this.value.get(key));
  }

  /** The item `index` of an array. */
  at(index: i32): Ref {
    return this.child(new Step("", index), this.value.at(index));
  }

  /** This value with unset values read as absent, here and below. */
  configured(): Ref {
    const state = this.state == State.Unset ? State.Absent : this.state;
    return new Ref(this.resource, this.path, this.value, state, true);
  }

  /**
   * Why the value cannot be read here ("`acl` is not set in the
   * configuration"); "" when it is absent, null or known.
   */
  reason(): string {
    let why = "";
    if (this.state == State.Unset) why = " is not set in the configuration";
    else if (this.state == State.Encrypted) {
      why =
        " is encrypted in this export (run `pulumi stack export --show-secrets`, or `pulumi policy analyze`)";
    } else if (this.state == State.Unknown) why = " is known only after apply";
    else return "";
    return "`" + pathText(this.path) + "`" + why;
  }

  private child(step: Step, found: Json): Ref {
    const path = this.path.slice(0);
    path.push(step);
    const resource = this.resource;
    if (hasNoValue(this.state) || resource === null) {
      const state = hasNoValue(this.state) ? this.state : State.Absent;
      return new Ref(resource, path, NO_JSON, state, this.isConfigured);
    }
    return Ref.of(resource, path, found, this.isConfigured);
  }
}

/** A path as text: keys joined by `.`, indexes as `[0]` (`rules[0].cidr`). */
export function pathText(path: Array<Step>): string {
  let text = "";
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    if (step.index >= 0) text += "[" + step.index.toString() + "]";
    else text += text.length > 0 ? "." + step.key : step.key;
  }
  return text.length > 0 ? text : "props";
}

/** An undecided finding with the reason when `ref` cannot be read here, else `null`. */
export function undecidedFor(ref: Ref): Outcome {
  return hasNoValue(ref.state) ? undecided(ref.reason()) : null;
}

// The state of the sentinel at `path`: that of the nearest path listed in
// `encrypted` or `unset` that is `path` or a prefix of it (encrypted wins a
// tie); unknown when none is.
function covering(resource: Resource, path: Array<Step>): State {
  let best = -1;
  let state = State.Unknown;
  for (let l = 0; l < 2; l++) {
    const list = l == 0 ? resource.encrypted : resource.unset;
    for (let i = 0; i < list.length; i++) {
      const listed = list.at(i);
      if (best < listed.length && startsWith(path, listed)) {
        best = listed.length;
        state = l == 0 ? State.Encrypted : State.Unset;
      }
    }
  }
  return state;
}

// Whether the listed path (a JSON array) is `path` or a prefix of it.
function startsWith(path: Array<Step>, listed: Json): bool {
  if (!listed.isArray() || listed.length > path.length) return false;
  for (let i = 0; i < listed.length; i++) {
    const step = listed.at(i);
    const at = path[i];
    const key = step.str();
    if (key !== null) {
      if (at.index >= 0 || at.key != key) return false;
    } else {
      const n = step.numOr(-1);
      if (at.index < 0 || n != <f64>at.index) return false;
    }
  }
  return true;
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
