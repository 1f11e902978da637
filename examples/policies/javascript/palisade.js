// Palisade policy packs in plain JavaScript: the helper layer of the example.
//
// `pack({...})` takes the pack's metadata and its resource policies and
// returns the three functions of the `pack` world of sdk/wit/palisade.wit,
// which the entry module exports as they are:
//
//   export const { describe, load, evaluate } = pack({ ... });
//
// componentize-js maps them onto the world: records are objects with
// camelCase fields, enums are strings, `option<string>` is a string or
// undefined, and a `result` is `{ tag: "ok" | "err", val }`. This module
// never throws out of `load` or `evaluate` (a thrown Error would trap the
// component); every failure becomes `err` with a message.
//
// A policy's `check(resource, config)` returns its findings: nothing when the
// resource passes, a message (string) for a violation, `undecided(message)`
// when a value it needs is unknown until apply, or an array of these.
//
// `prop(resource, "acl")` reads a value with its state (`State`): absent,
// null, unset (not set in the configuration: the provider fills it in at
// apply), encrypted (unreadable in this input), unknown (known only after
// apply) or known (ABI v1 section 4, "Not set and encrypted values"). Its
// typed readers (`Prop.string()`, ...) throw `Undecided` for the three
// states without a value, which `evaluate` reports as an undecided finding.

/** The unknown sentinel: a value known only after apply (ABI v1 section 4). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True for a JSON object (not null, not an array). */
export function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The value of `object`'s own property `key`, or undefined when `object` is
 * not a JSON object or has no such key (inherited names such as
 * `constructor` are never found).
 */
export function get(object, key) {
  return isObject(object) && Object.hasOwn(object, key) ? object[key] : undefined;
}

/** True when `object` is a JSON object with its own property `key`. */
export function has(object, key) {
  return isObject(object) && Object.hasOwn(object, key);
}

/** A finding that cannot be decided before apply (advisory, never blocking). */
export function undecided(message) {
  return { message: String(message), undecided: true };
}

/** The states of a value in `props` (ABI v1 section 4). */
export const State = Object.freeze({
  /** No such key (or a key under a value that is not an object or array). */
  ABSENT: "absent",
  /** A JSON null. */
  NULL: "null",
  /** Not set in the configuration; the provider fills it in at apply. */
  UNSET: "unset",
  /** Encrypted in this input (Pulumi ciphertext, `[secret]`). */
  ENCRYPTED: "encrypted",
  /** Set by an expression known only after apply. */
  UNKNOWN: "unknown",
  /** A value: a string, number, boolean, array or object. */
  KNOWN: "known",
});

const NO_VALUE = [State.UNSET, State.ENCRYPTED, State.UNKNOWN];

/**
 * Thrown where a policy needs a value it cannot read here (unset, encrypted
 * or unknown): `evaluate` reports an undecided finding with its message
 * instead of failing the policy.
 */
export class Undecided extends Error {
  constructor(message) {
    super(message);
    this.name = "Undecided";
  }
}

/** A path as text: keys joined by `.`, indexes as `[0]` (`rules[0].cidr`). */
export function pathText(path) {
  let text = "";
  for (const step of path) {
    if (typeof step === "number") text += `[${step}]`;
    else text += text ? `.${step}` : String(step);
  }
  return text || "props";
}

/**
 * Why the value at `path` in `state` cannot be read here, or undefined when
 * it can: the message of an undecided finding.
 */
export function reason(path, state) {
  const where = `\`${pathText(path)}\``;
  if (state === State.UNSET) return `${where} is not set in the configuration`;
  if (state === State.ENCRYPTED)
    return `${where} is encrypted in this export (run \`pulumi stack export --show-secrets\`, or \`pulumi policy analyze\`)`;
  if (state === State.UNKNOWN) return `${where} is known only after apply`;
  return undefined;
}

const isStep = (step) => typeof step === "string" || Number.isInteger(step);
const isPath = (path) => Array.isArray(path) && path.every(isStep);

/** The paths of `resource[name]` (`unset`, `encrypted`); none when absent. */
export function paths(resource, name) {
  const list = get(resource, name);
  return Array.isArray(list) ? list.filter(isPath) : [];
}

// The state of the sentinel at `path`: that of the nearest path listed in
// `encrypted` or `unset` that is `path` or a prefix of it.
function covering(resource, path) {
  let best = -1;
  let state = State.UNKNOWN;
  for (const [listed, name] of [
    [State.ENCRYPTED, "encrypted"],
    [State.UNSET, "unset"],
  ]) {
    for (const p of paths(resource, name)) {
      if (best < p.length && p.length <= path.length && p.every((step, i) => step === path[i])) {
        best = p.length;
        state = listed;
      }
    }
  }
  return state;
}

function stateOfValue(resource, path, value) {
  if (value === undefined) return State.ABSENT;
  if (value === null) return State.NULL;
  if (value === UNKNOWN) return covering(resource, path);
  return State.KNOWN;
}

/**
 * A value of a resource's `props` with its `path` and `state`. `get`
 * navigates (a missing key is absent; under an unset, encrypted or unknown
 * value everything is in the same state). `configured()` reads unset values
 * as absent, for a policy that applies the provider's default; it sticks
 * through `get`.
 */
export class Prop {
  constructor(resource, path, value, state, configured = false) {
    if (configured && state === State.UNSET) state = State.ABSENT;
    /** The resource (the batch's JSON object). */
    this.resource = resource;
    /** Keys and indexes from the root of `props`. */
    this.path = [...path];
    /** The value when `state` is KNOWN, else undefined. */
    this.value = state === State.KNOWN ? value : undefined;
    /** One of `State`. */
    this.state = state;
    /** Whether unset values read as absent here and below. */
    this.isConfigured = configured;
  }

  /** Whether there is no value here. */
  get isAbsent() {
    return this.state === State.ABSENT;
  }
  /** Whether the value is a JSON null. */
  get isNull() {
    return this.state === State.NULL;
  }
  /** Whether the configuration does not set the value (the provider does). */
  get isUnset() {
    return this.state === State.UNSET;
  }
  /** Whether the value is encrypted in this input. */
  get isEncrypted() {
    return this.state === State.ENCRYPTED;
  }
  /** Whether the value is known only after apply. */
  get isUnknown() {
    return this.state === State.UNKNOWN;
  }
  /** Whether there is a value to read (`value`). */
  get isKnown() {
    return this.state === State.KNOWN;
  }

  /** This value with unset values read as absent, here and below. */
  configured() {
    return new Prop(this.resource, this.path, this.value, this.state, true);
  }

  /** The message of an undecided finding for this value; undefined when absent, null or known. */
  reason() {
    return reason(this.path, this.state);
  }

  /** The member `step` (a string) of an object or item `step` (an integer) of an array. */
  get(step) {
    const path = [...this.path, step];
    if (NO_VALUE.includes(this.state)) return new Prop(this.resource, path, undefined, this.state, this.isConfigured);
    let child;
    if (typeof step === "string") child = get(this.value, step);
    else if (Number.isInteger(step) && Array.isArray(this.value) && step >= 0) child = this.value[step];
    return new Prop(this.resource, path, child, stateOfValue(this.resource, path, child), this.isConfigured);
  }

  /** The value; undefined when absent or null. Throws `Undecided` when it is unset, encrypted or unknown. */
  known() {
    if (NO_VALUE.includes(this.state)) throw new Undecided(this.reason());
    return this.value;
  }
  /** `known()` when it is a string, else undefined. */
  string() {
    const value = this.known();
    return typeof value === "string" ? value : undefined;
  }
  /** `known()` when it is an object (not an array), else undefined. */
  object() {
    const value = this.known();
    return isObject(value) ? value : undefined;
  }
  /** `known()` when it is an array, else undefined. */
  array() {
    const value = this.known();
    return Array.isArray(value) ? value : undefined;
  }
}

/**
 * The value at `path` (keys and indexes) from the root of the resource's
 * `props`, as a `Prop`: `prop(resource, "acl")`, `prop(resource, "rules", 0)`.
 */
export function prop(resource, ...path) {
  const props = get(resource, "props");
  let found = new Prop(resource, [], props, stateOfValue(resource, [], props));
  for (const step of path) found = found.get(step);
  return found;
}

/** The `State` of the value at `path` from the root of the resource's `props`. */
export function stateOf(resource, ...path) {
  return prop(resource, ...path).state;
}

/**
 * Declare a pack. `spec` is `{ name, version, description, policies }`; each
 * policy is `{ name, description, severity, enforcementLevel, resourceTypes,
 * configSchema, help, check }`, with `configSchema` a JSON value (default
 * `{"type":"object"}`). Returns `{ describe, load, evaluate }`. A malformed
 * spec throws, which fails the build: componentize-js runs the module's top
 * level at build time.
 */
export function pack(spec) {
  const info = packInfo(spec);
  const policies = new Map(spec.policies.map((p) => [p.name, p]));
  let resources = null;

  function describe() {
    return info;
  }

  function load(batch) {
    resources = null;
    const document = parse(batch, "the batch");
    if (document.tag === "err") return document;
    const list = get(document.val, "resources");
    if (!Array.isArray(list)) return err("the batch has no resources array");
    resources = list;
    return ok(undefined);
  }

  function evaluate(request) {
    const policy = policies.get(request.policy);
    if (policy === undefined) return err(`no policy named ${request.policy} in pack ${spec.name}`);
    if (resources === null) return err("evaluate called before load");
    const config = parse(request.config, "the config");
    if (config.tag === "err") return config;
    if (!isObject(config.val)) return err("the config is not a JSON object");
    const violations = [];
    for (const index of request.targets) {
      if (index >= resources.length) return err(`target ${index} is out of the batch`);
      const resource = isObject(resources[index]) ? resources[index] : {};
      const address = String(get(resource, "address") ?? "");
      let result;
      try {
        result = policy.check(resource, config.val);
      } catch (error) {
        if (!(error instanceof Undecided))
          return err(`policy ${policy.name} failed on ${address}: ${describeError(error)}`);
        result = undecided(error.message);
      }
      try {
        for (const found of findings(result)) {
          violations.push({ resource: address, message: found.message, undecided: found.undecided });
        }
      } catch (error) {
        return err(`policy ${policy.name} failed on ${address}: ${describeError(error)}`);
      }
    }
    return ok(violations);
  }

  return { describe, load, evaluate };
}

const SEVERITIES = ["low", "medium", "high", "critical"];
const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

// The pack's metadata as the world's `pack-info` record, checked: a value
// the bindings cannot lower would trap `describe`.
function packInfo(spec) {
  const fail = (what) => {
    throw new Error(`pack ${JSON.stringify(spec.name)}: ${what}`);
  };
  const isText = (value) => value === undefined || typeof value === "string";
  const isTextList = (value) => Array.isArray(value) && value.every((t) => typeof t === "string");
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(spec.name)) fail("bad pack name");
  if (!/^\S+$/.test(spec.version)) fail("the version must be non-empty, without spaces");
  if (!isText(spec.description)) fail("the description must be a string");
  const names = new Set();
  const policies = spec.policies.map((p) => {
    const where = `policy ${JSON.stringify(p.name)}: `;
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(p.name)) fail(`${where}the name must be lower-case words joined by -`);
    if (names.has(p.name)) fail(`${where}declared twice`);
    names.add(p.name);
    if (!SEVERITIES.includes(p.severity)) fail(`${where}severity must be one of ${SEVERITIES}`);
    if (!LEVELS.includes(p.enforcementLevel)) fail(`${where}enforcementLevel must be one of ${LEVELS}`);
    if (!isText(p.description) || !isText(p.help)) fail(`${where}description and help must be strings`);
    if (!isTextList(p.resourceTypes ?? [])) fail(`${where}resourceTypes must be a list of strings`);
    if (typeof p.check !== "function") fail(`${where}check must be a function`);
    return {
      name: p.name,
      description: p.description ?? "",
      severity: p.severity,
      enforcementLevel: p.enforcementLevel,
      kind: "resource",
      resourceTypes: p.resourceTypes ?? [],
      configSchema: p.configSchema === undefined ? undefined : JSON.stringify(p.configSchema),
      help: p.help,
    };
  });
  return { name: spec.name, version: spec.version, description: spec.description ?? "", policies };
}

function ok(val) {
  return { tag: "ok", val };
}

function err(message) {
  return { tag: "err", val: String(message) };
}

function parse(text, what) {
  try {
    return ok(JSON.parse(text));
  } catch (error) {
    return err(`${what} is not valid JSON: ${describeError(error)}`);
  }
}

function describeError(error) {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return "unprintable error";
  }
}

// A policy's result as a list of { message, undecided }.
function findings(result) {
  if (result === undefined || result === null) return [];
  const list = Array.isArray(result) ? result : [result];
  return list
    .filter((f) => f !== undefined && f !== null)
    .map((f) =>
      typeof f === "object"
        ? { message: String(f.message), undecided: f.undecided === true }
        : { message: String(f), undecided: false },
    );
}
