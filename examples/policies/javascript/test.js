// Unit test of the pack on plain Node.js, without building it:
//   node test.js [MODULE]
// MODULE defaults to ./policy.js. To test the built component instead:
//   jco transpile OUT.wasm -o DIR && node test.js DIR/OUT.js
// The inputs of ../testdata become batches roughly the way the engine makes
// them (plan: `after` with `after_unknown` as the sentinel; preview: `inputs`).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const here = new URL(".", import.meta.url);
const module = process.argv[2] ? pathToFileURL(resolve(process.argv[2])).href : new URL("policy.js", here).href;
const pack = await import(module);
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

// The plain modules return { tag, val }; a transpiled component returns the
// ok value and throws the err value (a ComponentError with `payload`).
function call(fn, ...args) {
  try {
    const result = fn(...args);
    return result?.tag === "ok" || result?.tag === "err" ? result : { tag: "ok", val: result };
  } catch (error) {
    if (error && "payload" in error) return { tag: "err", val: error.payload };
    throw error;
  }
}

function withUnknowns(after, unknown) {
  if (unknown === true) return UNKNOWN;
  if (typeof after !== "object" || after === null || typeof unknown !== "object" || unknown === null) return after;
  const out = Array.isArray(after) ? [...after] : { ...after };
  for (const [key, value] of Object.entries(unknown)) out[key] = withUnknowns(after[key], value);
  return out;
}

function batchOf(file) {
  const input = JSON.parse(readFileSync(new URL(`../testdata/${file}`, here), "utf8"));
  const resources = input.resource_changes
    ? input.resource_changes
        .filter((c) => !c.change.actions.includes("delete"))
        .map((c) => ({
          address: c.address,
          type: c.type,
          props: withUnknowns(c.change.after, c.change.after_unknown),
        }))
    : input.steps
        .filter((s) => s.op !== "delete")
        .map((s) => ({ address: s.urn, type: s.newState.type, props: s.newState.inputs }));
  return { stack: { source: file, format: "test" }, resources };
}

// Every policy of the pack on a batch (a resource without a type is judged
// by all); the findings as sorted `resource | policy | undecided | message`.
function check(batch, configs = {}) {
  assert.equal(call(pack.load, JSON.stringify(batch)).tag, "ok");
  const lines = [];
  for (const policy of pack.describe().policies) {
    const judged = (r) => r?.type === undefined || policy.resourceTypes.includes(r.type);
    const targets = Uint32Array.from(batch.resources.flatMap((r, i) => (judged(r) ? [i] : [])));
    const config = configs[policy.name] ?? (policy.name === "required-tags" ? { tags: ["owner"] } : {});
    const result = call(pack.evaluate, { policy: policy.name, config: JSON.stringify(config), targets });
    assert.equal(result.tag, "ok", result.val);
    for (const v of result.val) lines.push(`${v.resource} | ${policy.name} | ${v.undecided} | ${v.message}`);
  }
  return lines.sort();
}

// The findings the spec gives for both inputs, by resource name.
function expected(address) {
  const acl = 'S3 bucket ACL "public-read" grants public read access.';
  return [
    `${address.batch} | required-tags | false | Missing required tags: owner.`,
    `${address.computedAcl} | aws-s3-bucket-disallow-public-read | true | The bucket ACL is unknown until apply.`,
    `${address.computedAcl} | required-tags | false | Missing required tags: owner.`,
    `${address.computedTags} | required-tags | true | The tags are unknown until apply.`,
    `${address.noAcl} | required-tags | false | Missing required tags: owner.`,
    `${address.publicSite} | aws-s3-bucket-disallow-public-read | false | ${acl}`,
    `${address.siteAcl} | aws-s3-bucket-disallow-public-read | false | ${acl}`,
    `${address.uploadDrop} | aws-s3-bucket-disallow-public-read | false | S3 bucket ACL "public-read-write" grants public read and write access.`,
  ].sort();
}
const urn = (type, name) => `urn:pulumi:prod::acme::${type}::${name}`;
assert.deepEqual(
  check(batchOf("buckets.tfplan.json")),
  expected({
    batch: "aws_instance.batch",
    computedAcl: "aws_s3_bucket.computed_acl",
    computedTags: "aws_s3_bucket.computed_tags",
    noAcl: "aws_s3_bucket.no_acl",
    publicSite: "aws_s3_bucket.public_site",
    siteAcl: "aws_s3_bucket_acl.site",
    uploadDrop: "aws_s3_bucket.upload_drop",
  }),
);
assert.deepEqual(
  check(batchOf("buckets.preview.json")),
  expected({
    batch: urn("aws:ec2/instance:Instance", "batch"),
    computedAcl: urn("aws:s3/bucket:Bucket", "computed-acl"),
    computedTags: urn("aws:s3/bucket:Bucket", "computed-tags"),
    noAcl: urn("aws:s3/bucket:Bucket", "no-acl"),
    publicSite: urn("aws:s3/bucket:Bucket", "public-site"),
    siteAcl: urn("aws:s3/bucketAclV2:BucketAclV2", "site-acl"),
    uploadDrop: urn("aws:s3/bucketV2:BucketV2", "upload-drop"),
  }),
);

// Odd values: never a failure, only the findings the spec gives. Quotes,
// non-ASCII and inherited names (`constructor`, `__proto__`) in the keys.
const address = 'a["é \\" ✓"]';
const keys = ["owner", 'te"am', "ключ ✓", "constructor", "__proto__", 7, null, "owner", "toString"];
const tagsConfig = { "required-tags": { tags: keys } };
const allMissing = 'Missing required tags: owner, te"am, ключ ✓, constructor, __proto__, toString.';
const someTags = '{"owner": null, "te\\"am": 1, "ключ ✓": "x", "__proto__": 2}';
const allTags = `{"owner": "${UNKNOWN}", "te\\"am": 0, "ключ ✓": [], "constructor": 1, "__proto__": {}, "toString": false}`;
const cases = [
  [null, [allMissing]],
  [42, [allMissing]],
  ["text", [allMissing]],
  [[1, 2], [allMissing]],
  [{ acl: 42, tags: ["owner"] }, [allMissing]],
  [{ acl: null, tags: null }, [allMissing]],
  [{ acl: ["public-read"], tags: "owner" }, [allMissing]],
  [{ acl: "PUBLIC-READ", tags: {} }, [allMissing]],
  [
    { acl: "public-read", tags: JSON.parse(someTags) },
    ['S3 bucket ACL "public-read" grants public read access.', "Missing required tags: constructor, toString."],
  ],
  [{ acl: UNKNOWN, tags: UNKNOWN }, ["The bucket ACL is unknown until apply.", "The tags are unknown until apply."]],
  [{ tags: JSON.parse(allTags) }, []],
];
for (const [props, messages] of cases) {
  const lines = check({ stack: {}, resources: [{ address, type: "aws_s3_bucket", props }] }, tagsConfig);
  assert.deepEqual(lines.map((l) => l.split(" | ").at(-1)).sort(), [...messages].sort(), JSON.stringify(props));
  for (const line of lines) assert(line.startsWith(`${address} | `), line);
}
// Not set and encrypted values (ABI v1 section 4): batches that carry
// `unset` and `encrypted`, as the host writes them.
const encryptedAcl =
  "The bucket ACL is encrypted in this export; run pulumi stack export --show-secrets, or pulumi policy analyze.";
const unknownAcl = "The bucket ACL is unknown until apply.";
const states = [
  // [props, unset, encrypted, messages with the default config]
  [{ acl: UNKNOWN, tags: { owner: "x" } }, [["acl"]], [], []],
  [{ acl: UNKNOWN, tags: { owner: "x" } }, [[]], [], []],
  [{ acl: UNKNOWN, tags: { owner: "x" } }, [], [["acl"]], [encryptedAcl]],
  [{ acl: UNKNOWN, tags: UNKNOWN }, [[]], [["acl"]], [encryptedAcl, "Missing required tags: owner."]],
  [{ acl: UNKNOWN, tags: { owner: "x" } }, [["grant"]], [["acl", 0]], [unknownAcl]],
  [{ acl: "public-read", tags: { owner: "x" } }, [["acl"]], [["acl"]], [acl_("public-read")]],
  [{ tags: UNKNOWN }, [["tags"]], [], ["Missing required tags: owner."]],
  [{ tags: UNKNOWN, tags_all: UNKNOWN }, [["tags_all"]], [], ["The tags are unknown until apply."]],
  [
    { tags: UNKNOWN },
    [],
    [["tags"]],
    ["The tags are encrypted in this export; run pulumi stack export --show-secrets, or pulumi policy analyze."],
  ],
  [{ tags: { owner: UNKNOWN } }, [["tags", "owner"]], [], []],
  [{ acl: UNKNOWN, tags: { owner: "x" } }, "acl", { acl: 1 }, [unknownAcl]],
];
function acl_(value) {
  return `S3 bucket ACL "${value}" grants public read access.`;
}
for (const [props, unset, encrypted, messages] of states) {
  const resources = [{ address, type: "aws_s3_bucket", props, unset, encrypted, secret: encrypted }];
  const lines = check({ stack: {}, resources });
  assert.deepEqual(lines.map((l) => l.split(" | ").at(-1)).sort(), [...messages].sort(), JSON.stringify(resources));
  for (const line of lines) {
    const undecided = line.split(" | ")[2] === "true";
    assert.equal(undecided, !line.includes("Missing") && !line.includes("grants"), line);
  }
}

// No required keys: nothing to report, whatever the tags.
for (const tags of [[], [1, null], "owner", null, {}]) {
  const resources = [{ address, type: "aws_s3_bucket", props: { tags: UNKNOWN } }];
  assert.deepEqual(check({ stack: {}, resources }, { "required-tags": { tags } }), []);
}
// Resources that are not objects, or have no address.
assert.deepEqual(check({ stack: {}, resources: [null, 5, { props: { acl: "public-read" } }] }), [
  ' | aws-s3-bucket-disallow-public-read | false | S3 bucket ACL "public-read" grants public read access.',
  ...Array(3).fill(" | required-tags | false | Missing required tags: owner."),
]);

// Failures are `err` with a message, never a throw or a trap.
const none = new Uint32Array();
const failures = [
  () => call(pack.load, "{"),
  () => call(pack.load, "[]"),
  () => call(pack.load, '{"resources": {}}'),
  () => call(pack.evaluate, { policy: "nope", config: "{}", targets: none }),
  () => call(pack.evaluate, { policy: "required-tags", config: "[]", targets: none }),
  () => call(pack.evaluate, { policy: "required-tags", config: "{", targets: none }),
  () => call(pack.evaluate, { policy: "required-tags", config: "{}", targets: Uint32Array.of(0) }),
];
for (const [i, run] of failures.entries()) {
  if (i === 4) call(pack.load, '{"resources": []}');
  const result = run();
  assert.equal(result.tag, "err", `failure ${i}`);
  assert.equal(typeof result.val, "string");
}
// Deep nesting: ok or err, nothing else.
const deep = (n) => `{"resources": [{"props": {"tags": ${"[".repeat(n)}${"]".repeat(n)}}}]}`;
for (const depth of [1e3, 1e5, 1e6]) assert(["ok", "err"].includes(call(pack.load, deep(depth)).tag));

// The helper layer's value states, on plain JavaScript only.
if (!process.argv[2]) {
  const { Prop, State, Undecided, pack: declare, prop, stateOf } = await import(new URL("palisade.js", here).href);
  const r = {
    address: "r",
    props: { a: null, u: UNKNOWN, s: UNKNOWN, e: UNKNOWN, k: [1, { x: UNKNOWN }], rules: [{ cidr: UNKNOWN }] },
    unset: [["s"], ["k", 1, "x"], ["a", true], [1.5]],
    encrypted: [["e"], ["rules", 0, "cidr"]],
  };
  assert.deepEqual(
    ["none", "a", "s", "e", "u", "k"].map((key) => stateOf(r, key)),
    [State.ABSENT, State.NULL, State.UNSET, State.ENCRYPTED, State.UNKNOWN, State.KNOWN],
  );
  assert.equal(stateOf(r, "k", 1, "x"), State.UNSET);
  assert.equal(prop(r, "k").get(1).get("x").state, State.UNSET);
  assert.deepEqual([stateOf(r, "k", 0), stateOf(r, "k", 2), stateOf(r, "k", "0"), stateOf(r, "a", "b")], [
    State.KNOWN,
    State.ABSENT,
    State.ABSENT,
    State.ABSENT,
  ]);
  assert.deepEqual([stateOf(r, "s", "x", 0), stateOf(r, "e", "x"), stateOf(r, "u", 3)], [
    State.UNSET,
    State.ENCRYPTED,
    State.UNKNOWN,
  ]);
  assert.deepEqual([prop(r, "k", 0).value, prop(r, "e").value], [1, undefined]);
  assert(prop(r, "s").isUnset && prop(r, "e").isEncrypted && prop(r, "u").isUnknown);
  assert(prop(r, "k").isKnown && prop(r, "a").isNull && prop(r, "none").isAbsent);
  assert.equal(stateOf({ props: UNKNOWN, unset: [[]] }, "x"), State.UNSET);
  assert.equal(stateOf({ props: UNKNOWN }, "x"), State.UNKNOWN);
  assert.equal(stateOf({}, "x"), State.ABSENT);
  // The nearest path decides; encrypted wins a tie.
  const near = { props: { a: { b: UNKNOWN }, c: UNKNOWN }, unset: [["a"], ["c"]], encrypted: [["a", "b"], ["c"]] };
  assert.deepEqual([stateOf(near, "a", "b"), stateOf(near, "c")], [State.ENCRYPTED, State.ENCRYPTED]);
  assert.equal(stateOf({ props: { a: { b: UNKNOWN } }, unset: [["a", "b"]], encrypted: [["a"]] }, "a", "b"), State.UNSET);
  // Configured: unset reads as absent, sticky through navigation.
  assert.equal(prop(r, "s").configured().state, State.ABSENT);
  assert.equal(prop(r, "s").state, State.UNSET);
  assert.equal(prop(r).configured().get("k").get(1).get("x").state, State.ABSENT);
  assert.deepEqual([prop(r, "e").configured().state, prop(r, "u").configured().state], [State.ENCRYPTED, State.UNKNOWN]);
  // Reasons and typed readers.
  assert.equal(prop(r, "s").reason(), "`s` is not set in the configuration");
  assert.equal(
    prop(r, "rules", 0, "cidr").reason(),
    "`rules[0].cidr` is encrypted in this export (run `pulumi stack export --show-secrets`, or `pulumi policy analyze`)",
  );
  assert.equal(prop(r, "u").reason(), "`u` is known only after apply");
  assert.equal(prop(r, "k").reason(), undefined);
  assert.deepEqual([prop(r, "k").array(), prop(r, "k").object(), prop(r, "a").string()], [[1, { x: UNKNOWN }], undefined, undefined]);
  assert.equal(prop(r, "s").configured().string(), undefined);
  assert.throws(() => prop(r, "s").string(), (e) => e instanceof Undecided && e.message === "`s` is not set in the configuration");
  assert.equal(new Prop(r, ["x"], "v", State.UNSET, true).state, State.ABSENT);
  // Undecided thrown by a check becomes an undecided finding.
  const demo = declare({
    name: "demo",
    version: "1",
    policies: [
      {
        name: "p",
        severity: "low",
        enforcementLevel: "advisory",
        check: (resource) => (prop(resource, "acl").string() === "public-read" ? "public" : undefined),
      },
    ],
  });
  const batch = { resources: [{ address: "a", props: { acl: UNKNOWN }, encrypted: [["acl"]] }, { address: "b", props: { acl: "public-read" } }] };
  assert.equal(demo.load(JSON.stringify(batch)).tag, "ok");
  assert.deepEqual(demo.evaluate({ policy: "p", config: "{}", targets: Uint32Array.of(0, 1) }).val, [
    {
      resource: "a",
      message: "`acl` is encrypted in this export (run `pulumi stack export --show-secrets`, or `pulumi policy analyze`)",
      undecided: true,
    },
    { resource: "b", message: "public", undecided: false },
  ]);
}

console.log(`ok: ${module}`);
