"""Unit tests of policy.py and palisade.py on plain CPython, no WebAssembly:
`python3 examples/policies/python/test_policy.py`."""

import json
import sys
import unittest

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree

from palisade import (
    UNKNOWN,
    Pack,
    PolicyError,
    Resource,
    State,
    Undecided,
    Violation,
    action_applies_to,
    action_fix,
    ingress_rule,
    patch_fix,
    revoke_ingress,
    tags_fix,
)
from policy import pack

ACL = "aws-s3-bucket-disallow-public-read"
TAGS = "required-tags"


ENCRYPTED_ACL = (
    "The bucket ACL is encrypted in this export; "
    "run pulumi stack export --show-secrets, or pulumi policy analyze."
)


def run(policy, props, config=None, **fields):
    """(message, undecided) pairs of `policy` on one resource with `props`
    and the other `fields` (`unset`, `encrypted`)."""
    resource = {"address": "r", "type": "aws_s3_bucket", "props": props, **fields}
    batch = {"stack": {}, "resources": [resource]}
    pack.load(json.dumps(batch))
    found = pack.evaluate(policy, json.dumps(config or {"tags": ["owner"]}), [0])
    assert all(v.resource == "r" for v in found)
    return [(v.message, v.undecided) for v in found]


class PublicReadTest(unittest.TestCase):
    def test_public_acls(self):
        self.assertEqual(
            run(ACL, {"acl": "public-read"}),
            [('S3 bucket ACL "public-read" grants public read access.', False)],
        )
        self.assertEqual(
            run(ACL, {"acl": "public-read-write"}),
            [
                (
                    'S3 bucket ACL "public-read-write" grants public read and write access.',
                    False,
                )
            ],
        )

    def test_unknown_acl_is_undecided(self):
        self.assertEqual(
            run(ACL, {"acl": UNKNOWN}),
            [("The bucket ACL is unknown until apply.", True)],
        )

    def test_anything_else_passes(self):
        for props in [
            {},
            None,
            [1],
            {"acl": None},
            {"acl": "private"},
            {"acl": 7},
            {"acl": ["public-read"]},
        ]:
            self.assertEqual(run(ACL, props), [], props)


class PublicReadStatesTest(unittest.TestCase):
    def test_unset_acl_is_the_provider_default_private(self):
        self.assertEqual(run(ACL, {"acl": UNKNOWN}, unset=[["acl"]]), [])
        self.assertEqual(run(ACL, {"acl": UNKNOWN}, unset=[[]]), [], "a prefix")

    def test_encrypted_acl_is_undecided(self):
        encrypted = {"encrypted": [["acl"]], "secret": [["acl"]]}
        self.assertEqual(
            run(ACL, {"acl": UNKNOWN}, **encrypted), [(ENCRYPTED_ACL, True)]
        )
        self.assertEqual(
            run(ACL, {"acl": UNKNOWN}, unset=[[]], encrypted=[["acl"]]),
            [(ENCRYPTED_ACL, True)],
            "the nearest path decides",
        )

    def test_unknown_acl_stays_undecided(self):
        for fields in [{}, {"unset": [["grant"]]}, {"encrypted": [["acl", 0]]}]:
            self.assertEqual(
                run(ACL, {"acl": UNKNOWN}, **fields),
                [("The bucket ACL is unknown until apply.", True)],
                fields,
            )

    def test_only_the_sentinel_has_a_state(self):
        self.assertEqual(
            run(ACL, {"acl": "public-read"}, unset=[["acl"]], encrypted=[["acl"]]),
            [('S3 bucket ACL "public-read" grants public read access.', False)],
        )


class RequiredTagsTest(unittest.TestCase):
    def test_missing_keys_in_config_order(self):
        config = {"tags": ["team", "owner", 3, None, "team", "env"]}
        self.assertEqual(
            run(TAGS, {"tags": {"owner": "x"}}, config),
            [("Missing required tags: team, env.", False)],
        )

    def test_unknown_tags_is_undecided(self):
        self.assertEqual(
            run(TAGS, {"tags": UNKNOWN}), [("The tags are unknown until apply.", True)]
        )

    def test_unknown_value_counts_as_present(self):
        self.assertEqual(run(TAGS, {"tags": {"owner": UNKNOWN}}), [])
        for fields in [{"unset": [["tags", "owner"]]}, {"encrypted": [["tags"]]}]:
            self.assertEqual(run(TAGS, {"tags": {"owner": UNKNOWN}}, **fields), [])

    def test_unset_tags_are_no_tags(self):
        self.assertEqual(
            run(TAGS, {"tags": UNKNOWN}, unset=[["tags"]]),
            [("Missing required tags: owner.", False)],
        )
        self.assertEqual(
            run(TAGS, {"tags": UNKNOWN, "tags_all": UNKNOWN}, unset=[["tags_all"]]),
            [("The tags are unknown until apply.", True)],
        )

    def test_encrypted_tags_are_undecided(self):
        self.assertEqual(
            run(TAGS, {"tags": UNKNOWN}, encrypted=[["tags"]]),
            [
                (
                    "The tags are encrypted in this export; "
                    "run pulumi stack export --show-secrets, or pulumi policy analyze.",
                    True,
                )
            ],
        )

    def test_not_an_object_misses_every_key(self):
        for props in [None, {}, {"tags": None}, {"tags": ["owner"]}, {"tags": "owner"}]:
            self.assertEqual(
                run(TAGS, props), [("Missing required tags: owner.", False)], props
            )

    def test_unicode_and_quotes(self):
        self.assertEqual(
            run(TAGS, {"tags": {"é": 1}}, {"tags": ["é", 'k"\\😀']}),
            [('Missing required tags: k"\\😀.', False)],
        )

    def test_no_required_keys(self):
        self.assertEqual(run(TAGS, None, {"tags": []}), [])


def resource(props, **fields):
    return Resource({"address": "r", "props": props, **fields})


class StatesTest(unittest.TestCase):
    """The helper layer's value states (ABI v1 section 4)."""

    def test_states(self):
        r = resource(
            {"a": None, "u": UNKNOWN, "s": UNKNOWN, "e": UNKNOWN, "k": [1, {"x": UNKNOWN}]},
            unset=[["s"], ["k", 1, "x"]],
            encrypted=[["e"]],
        )
        self.assertEqual(
            [r.state(key) for key in ["none", "a", "s", "e", "u", "k"]],
            [State.ABSENT, State.NULL, State.UNSET, State.ENCRYPTED, State.UNKNOWN, State.KNOWN],
        )
        self.assertEqual(r.state("k", 1, "x"), State.UNSET)
        self.assertEqual(r.prop("k").get(1).get("x").state, State.UNSET)
        self.assertEqual(r.state("k", 0), State.KNOWN)
        self.assertEqual(r.state("k", 2), State.ABSENT)
        self.assertEqual(r.state("k", "0"), State.ABSENT, "a key is not an index")
        self.assertEqual(r.state("a", "b"), State.ABSENT)
        self.assertEqual((r.prop("k", 0).value, r.prop("e").value), (1, None))
        self.assertEqual(r.unset, [["s"], ["k", 1, "x"]])
        self.assertEqual(r.encrypted, [["e"]])
        self.assertTrue(r.prop("s").is_unset and r.prop("e").is_encrypted)
        self.assertTrue(r.prop("u").is_unknown and r.prop("k").is_known)
        self.assertTrue(r.prop("a").is_null and r.prop("none").is_absent)

    def test_under_a_value_without_value(self):
        r = resource({"s": UNKNOWN, "e": UNKNOWN, "u": UNKNOWN}, unset=[["s"]], encrypted=[["e"]])
        self.assertEqual(r.state("s", "x", 0), State.UNSET)
        self.assertEqual(r.state("e", "x"), State.ENCRYPTED)
        self.assertEqual(r.state("u", 3), State.UNKNOWN)
        self.assertEqual(resource(UNKNOWN).state("x"), State.UNKNOWN)
        self.assertEqual(resource(UNKNOWN, unset=[[]]).state("x"), State.UNSET)
        self.assertEqual(resource(None).state("x"), State.ABSENT)
        self.assertEqual(Resource({"address": "r"}).state("x"), State.ABSENT)

    def test_nearest_path_and_ties(self):
        r = resource(
            {"a": {"b": UNKNOWN}, "c": UNKNOWN},
            unset=[["a"], ["c"]],
            encrypted=[["a", "b"], ["c"]],
        )
        self.assertEqual(r.state("a", "b"), State.ENCRYPTED)
        self.assertEqual(r.state("c"), State.ENCRYPTED, "encrypted wins a tie")
        r = resource({"a": {"b": UNKNOWN}}, unset=[["a", "b"]], encrypted=[["a"]])
        self.assertEqual(r.state("a", "b"), State.UNSET)

    def test_malformed_lists_are_ignored(self):
        for unset in [None, "acl", {"acl": 1}, [["acl", True]], [[1.5]], [None], ["acl"]]:
            r = resource({"acl": UNKNOWN, "1": UNKNOWN}, unset=unset)
            self.assertEqual((r.state("acl"), r.state("1")), (State.UNKNOWN, State.UNKNOWN), unset)
        self.assertEqual(resource({"acl": UNKNOWN}, unset=[["acl"]]).state("acl"), State.UNSET)

    def test_configured_reads_unset_as_absent(self):
        r = resource(
            {"acl": UNKNOWN, "e": UNKNOWN, "u": UNKNOWN, "m": {"k": UNKNOWN}},
            unset=[["acl"], ["m", "k"]],
            encrypted=[["e"]],
        )
        self.assertEqual(r.prop("acl").configured().state, State.ABSENT)
        self.assertEqual(r.prop("acl").state, State.UNSET, "configured() copies")
        self.assertEqual(r.prop("e").configured().state, State.ENCRYPTED)
        self.assertEqual(r.prop("u").configured().state, State.UNKNOWN)
        self.assertEqual(r.prop().configured().get("m").get("k").state, State.ABSENT, "sticky")
        self.assertEqual(r.prop("m").get("k").state, State.UNSET)

    def test_reasons(self):
        r = resource(
            {"acl": UNKNOWN, "rules": [{"cidr": UNKNOWN}], "u": UNKNOWN, "k": 1},
            unset=[["acl"]],
            encrypted=[["rules", 0, "cidr"]],
        )
        self.assertEqual(r.prop("acl").reason(), "`acl` is not set in the configuration")
        self.assertEqual(
            r.prop("rules", 0, "cidr").reason(),
            "`rules[0].cidr` is encrypted in this export "
            "(run `pulumi stack export --show-secrets`, or `pulumi policy analyze`)",
        )
        self.assertEqual(r.prop("u").reason(), "`u` is known only after apply")
        self.assertEqual([r.prop(k).reason() for k in ["k", "none"]], [None, None])

    def test_typed_readers(self):
        r = resource({"s": "x", "o": {}, "l": [], "n": None, "u": UNKNOWN}, unset=[["u"]])
        self.assertEqual((r.prop("s").string(), r.prop("o").string()), ("x", None))
        self.assertEqual((r.prop("o").object(), r.prop("s").object()), ({}, None))
        self.assertEqual((r.prop("l").list(), r.prop("n").list()), ([], None))
        self.assertEqual((r.prop("none").known(), r.prop("n").known()), (None, None))
        self.assertEqual(r.prop("u").configured().string(), None)
        with self.assertRaises(Undecided) as raised:
            r.prop("u").string()
        self.assertEqual(str(raised.exception), "`u` is not set in the configuration")

    def test_undecided_raised_by_a_policy(self):
        demo = Pack("demo", "1.0.0")

        @demo.resource_policy(name="p", severity="low", enforcement_level="advisory")
        def p(resource, config):
            """Demo."""
            yield "first"
            if resource.prop("acl").string() == "public-read":
                yield "public"

        demo.load(json.dumps({"resources": [
            {"address": "a", "props": {"acl": UNKNOWN}, "encrypted": [["acl"]]},
            {"address": "b", "props": {"acl": "public-read"}},
        ]}))
        found = [(v.resource, v.message, v.undecided) for v in demo.evaluate("p", "{}", [0, 1])]
        encrypted = (
            "`acl` is encrypted in this export "
            "(run `pulumi stack export --show-secrets`, or `pulumi policy analyze`)"
        )
        self.assertEqual(
            found,
            [
                ("a", "first", False),
                ("a", encrypted, True),
                ("b", "first", False),
                ("b", "public", False),
            ],
        )


class PackTest(unittest.TestCase):
    def test_metadata(self):
        self.assertEqual((pack.name, pack.version), ("example-python", "1.0.0"))
        acl, tags = pack.policies[ACL], pack.policies[TAGS]
        self.assertEqual(
            (acl.severity, acl.enforcement_level, acl.schema_text()),
            ("high", "mandatory", '{"type":"object"}'),
        )
        self.assertEqual(
            (tags.severity, tags.enforcement_level), ("medium", "advisory")
        )
        self.assertEqual(
            tags.description, "Resources must carry the tags named in the config."
        )

    def test_errors(self):
        for batch in [
            "{",
            "[]",
            '{"resources": [1]}',
            '{"resources": [{"address": 1}]}',
        ]:
            self.assertRaises(PolicyError, pack.load, batch)
        self.assertRaises(PolicyError, pack.evaluate, ACL, "{}", [0])  # nothing loaded
        pack.load('{"resources": [{"address": "r", "props": null}]}')
        self.assertRaises(PolicyError, pack.evaluate, "nope", "{}", [0])
        self.assertRaises(PolicyError, pack.evaluate, ACL, "[]", [0])
        self.assertRaises(PolicyError, pack.evaluate, ACL, "{}", [1])


class FixHelpersTest(unittest.TestCase):
    def test_documents(self):
        self.assertEqual(
            tags_fix({"owner": "platform"}, ["temp"]),
            {"tags": {"set": {"owner": "platform"}, "remove": ["temp"]}},
        )
        self.assertEqual(
            patch_fix([{"op": "remove", "path": "/acl"}]),
            {"patch": [{"op": "remove", "path": "/acl"}]},
        )
        self.assertEqual(
            action_fix("kms.enable-rotation"),
            {"action": {"kind": "kms.enable-rotation"}},
        )
        self.assertEqual(
            revoke_ingress(
                [
                    ingress_rule("tcp", 80, 80, "0.0.0.0/0"),
                    ingress_rule("-1", 0, 0, "::/0"),
                ]
            ),
            {
                "action": {
                    "kind": "ec2.revoke-ingress",
                    "params": {
                        "rules": [
                            {
                                "protocol": "tcp",
                                "from_port": 80,
                                "to_port": 80,
                                "cidr_ipv4": "0.0.0.0/0",
                            },
                            {
                                "protocol": "-1",
                                "from_port": 0,
                                "to_port": 0,
                                "cidr_ipv6": "::/0",
                            },
                        ]
                    },
                }
            },
        )
        self.assertTrue(action_applies_to("ec2.revoke-ingress", "aws_security_group"))
        self.assertFalse(
            action_applies_to("ec2.revoke-ingress", "aws_security_group_rule")
        )
        self.assertFalse(action_applies_to("s3.delete-bucket", "aws_s3_bucket"))

    def test_a_fix_reaches_the_violation(self):
        fixing = Pack("fixing", "1")

        @fixing.resource_policy(
            "rotate",
            severity="medium",
            enforcement_level="remediate",
            resource_types=["aws_kms_key"],
        )
        def rotate(resource, config):
            """Keys rotate."""
            fix = action_fix("kms.enable-rotation")
            return Violation("Key does not rotate.", remediation=fix)

        key = {"address": "k", "type": "aws_kms_key", "props": {}}
        fixing.load(json.dumps({"resources": [key]}))
        [found] = fixing.evaluate("rotate", "{}", [0])
        self.assertEqual(
            found.remediation, {"action": {"kind": "kms.enable-rotation"}}
        )


if __name__ == "__main__":
    unittest.main()
