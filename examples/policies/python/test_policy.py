"""Unit tests of policy.py and palisade.py on plain CPython, no WebAssembly:
`python3 examples/policies/python/test_policy.py`."""

import json
import sys
import unittest

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree

from palisade import UNKNOWN, PolicyError
from policy import pack

ACL = "aws-s3-bucket-disallow-public-read"
TAGS = "required-tags"


def run(policy, props, config=None):
    """(message, undecided) pairs of `policy` on one resource with `props`."""
    batch = {
        "stack": {},
        "resources": [{"address": "r", "type": "aws_s3_bucket", "props": props}],
    }
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


if __name__ == "__main__":
    unittest.main()
