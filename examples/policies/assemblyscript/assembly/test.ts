// Unit tests of the helper layer's value states (ABI section 4), compiled
// and run by `../test.sh`: `run()` returns 0, or the number of the first
// check that failed.
import { Outcome, Ref, Resource, State, parseJson, pathText, undecidedFor } from "./palisade";

const U = '"04da6b54-80e4-46f7-96ec-b56ff0331ba9"';

function resource(text: string): Resource {
  const json = parseJson(text);
  return new Resource(json === null ? parseJson("{}")! : json, 0);
}

const ENCRYPTED =
  " is encrypted in this export (run `pulumi stack export --show-secrets`, or `pulumi policy analyze`)";

/** Runs every check; 0 when all pass, else the number of the first failure. */
export function run(): i32 {
  const r = resource(
    '{"address":"r","props":{"a":null,"u":' + U + ',"s":' + U + ',"e":' + U +
      ',"k":[1,{"x":' + U + '}],"rules":[{"cidr":' + U + "}]}," +
      '"unset":[["s"],["k",1,"x"],["a",true],[1.5],"s"],"encrypted":[["e"],["rules",0,"cidr"]]}',
  );
  const checks: bool[] = [
    r.state("none") == State.Absent,
    r.state("a") == State.Null,
    r.state("s") == State.Unset,
    r.state("e") == State.Encrypted,
    r.state("u") == State.Unknown,
    r.state("k") == State.Known,
    r.ref("k").at(1).get("x").state == State.Unset,
    r.ref("k").at(0).state == State.Known,
    r.ref("k").at(2).state == State.Absent,
    r.ref("k").get("0").state == State.Absent,
    r.ref("a").get("b").state == State.Absent,
    r.ref("s").get("x").at(0).state == State.Unset,
    r.ref("e").get("x").state == State.Encrypted,
    r.ref("u").at(3).state == State.Unknown,
    r.ref("k").at(0).value.numOr(0) == 1,
    r.ref("e").value.isAbsent(),
    r.ref("s").isUnset() && r.ref("e").isEncrypted() && r.ref("u").isUnknown(),
    r.ref("k").isKnown() && r.ref("a").isNull() && r.ref("none").isAbsent(),
    Ref.absent().get("x").state == State.Absent,
    resource('{"props":' + U + ',"unset":[[]]}').state("x") == State.Unset,
    resource('{"props":' + U + "}").state("x") == State.Unknown,
    // The nearest path decides; encrypted wins a tie.
    resource(
      '{"props":{"a":{"b":' + U + '},"c":' + U + '},"unset":[["a"],["c"]],"encrypted":[["a","b"],["c"]]}',
    )
      .ref("a")
      .get("b").state == State.Encrypted,
    resource('{"props":{"c":' + U + '},"unset":[["c"]],"encrypted":[["c"]]}').state("c") == State.Encrypted,
    resource('{"props":{"a":{"b":' + U + '}},"unset":[["a","b"]],"encrypted":[["a"]]}').ref("a").get("b").state ==
      State.Unset,
    // Configured: unset reads as absent, sticky through navigation.
    r.ref("s").configured().state == State.Absent,
    r.ref("s").state == State.Unset,
    r.ref("e").configured().state == State.Encrypted,
    r.ref("u").configured().state == State.Unknown,
    r.root().configured().get("k").at(1).get("x").state == State.Absent,
    // Reasons.
    r.ref("s").reason() == "`s` is not set in the configuration",
    r.ref("rules").at(0).get("cidr").reason() == "`rules[0].cidr`" + ENCRYPTED,
    r.ref("u").reason() == "`u` is known only after apply",
    r.ref("k").reason() == "" && r.ref("none").reason() == "",
    pathText(r.root().path) == "props",
    undecidedFor(r.ref("k")) === null,
    undecidedFor(r.ref("s").configured()) === null,
  ];
  for (let i = 0; i < checks.length; i++) if (!checks[i]) return i + 1;
  const found: Outcome = undecidedFor(r.ref("e"));
  if (found === null || !found.undecided || found.message != "`e`" + ENCRYPTED) return checks.length + 1;
  return 0;
}
