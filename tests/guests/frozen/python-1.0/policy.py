"""The Palisade example pack (examples/policies/README.md), in Python."""

from palisade import UNKNOWN, Pack, undecided

pack = Pack("example-python", "1.0.0", "The Palisade example pack, in Python.")


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
    acl = resource.props.get("acl")
    if acl == "public-read":
        return 'S3 bucket ACL "public-read" grants public read access.'
    if acl == "public-read-write":
        return 'S3 bucket ACL "public-read-write" grants public read and write access.'
    if acl == UNKNOWN:
        return undecided("The bucket ACL is unknown until apply.")


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
    tags = resource.props.get("tags")
    if tags == UNKNOWN:
        return undecided("The tags are unknown until apply.")
    present = tags if isinstance(tags, dict) else {}
    missing = [key for key in required if key not in present]
    if missing:
        return f"Missing required tags: {', '.join(missing)}."
