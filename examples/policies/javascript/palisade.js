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
      try {
        for (const found of findings(policy.check(resource, config.val))) {
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
