"""The Palisade example pack (examples/policies/README.md), in Python."""

from palisade import Pack, Prop, State, undecided

pack = Pack("example-python", "1.0.0", "The Palisade example pack, in Python.")

ENCRYPTED_ACL = (
    "The bucket ACL is encrypted in this export; "
    "run pulumi stack export --show-secrets, or pulumi policy analyze."
)
ENCRYPTED_TAGS = (
    "The tags are encrypted in this export; "
    "run pulumi stack export --show-secrets, or pulumi policy analyze."
)


def prop(resource, key):
    """`props.<key>` exactly as the spec reads it: absent unless `props` is
    an object."""
    if isinstance(resource.get("props"), dict):
        return resource.prop(key)
    return Prop(resource, [key], None, State.ABSENT)


@pack.resource_policy(
    name="aws-s3-bucket-disallow-public-read",
    severity="high",
    enforcement_level="mandatory",
    resource_types=[
        "aws_s3_bucket",
        "aws_s3_bucket_acl",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:s3/bucketAclV2:BucketAclV2",
    ],
    config_schema={"type": "object"},
    help="https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl",
)
def disallow_public_read(resource, config):
    """S3 buckets and bucket ACLs must not grant public read access."""
    # An ACL the configuration does not set reads as absent: the AWS provider
    # (4 and later) makes it computed, and a new bucket is private.
    acl = prop(resource, "acl").configured()
    if acl.state is State.ENCRYPTED:
        return undecided(ENCRYPTED_ACL)
    if acl.state is State.UNKNOWN:
        return undecided("The bucket ACL is unknown until apply.")
    if acl.value == "public-read":
        return 'S3 bucket ACL "public-read" grants public read access.'
    if acl.value == "public-read-write":
        return 'S3 bucket ACL "public-read-write" grants public read and write access.'


@pack.resource_policy(
    name="required-tags",
    severity="medium",
    enforcement_level="advisory",
    resource_types=[
        "aws_s3_bucket",
        "aws_instance",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:ec2/instance:Instance",
    ],
    config_schema={
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}, "default": ["owner"]}
        },
    },
    help="Add the missing keys to the resource's tags.",
)
def required_tags(resource, config):
    """Resources must carry the tags named in the config."""
    wanted = config.get("tags")
    wanted = wanted if isinstance(wanted, list) else []
    required = dict.fromkeys(key for key in wanted if isinstance(key, str))
    if not required:
        return None  # nothing required: no value is needed to decide
    # Tags the configuration does not set: no tags.
    tags = prop(resource, "tags").configured()
    if tags.state is State.ENCRYPTED:
        return undecided(ENCRYPTED_TAGS)
    if tags.state is State.UNKNOWN:
        return undecided("The tags are unknown until apply.")
    present = tags.value if isinstance(tags.value, dict) else {}
    missing = [key for key in required if key not in present]
    if missing:
        return f"Missing required tags: {', '.join(missing)}."
