// The example pack (examples/policies/README.md): two resource policies.
import { Json, Outcome, Pack, Ref, Resource, State, pass, undecided, violation } from "./palisade";

// `props.<key>` exactly as the spec reads it (absent unless `props` is an
// object), with unset values read as absent.
function configuredProp(resource: Resource, key: string): Ref {
  if (!resource.props.isObject()) return Ref.absent();
  return resource.ref(key).configured();
}

function disallowPublicRead(resource: Resource, config: Json): Outcome {
  // An ACL the configuration does not set reads as absent: the AWS provider
  // (4 and later) makes it computed, and a new bucket is private.
  const acl = configuredProp(resource, "acl");
  if (acl.state == State.Encrypted) {
    return undecided(
      "The bucket ACL is encrypted in this export; run pulumi stack export --show-secrets, or pulumi policy analyze.",
    );
  }
  if (acl.state == State.Unknown) return undecided("The bucket ACL is unknown until apply.");
  const value = acl.value.strOr("");
  if (value == "public-read") {
    return violation('S3 bucket ACL "public-read" grants public read access.');
  }
  if (value == "public-read-write") {
    return violation('S3 bucket ACL "public-read-write" grants public read and write access.');
  }
  return pass();
}

function requiredTags(resource: Resource, config: Json): Outcome {
  const required = config.get("tags").strings();
  if (required.length == 0) return pass();
  // Tags the configuration does not set: no tags.
  const ref = configuredProp(resource, "tags");
  if (ref.state == State.Encrypted) {
    return undecided(
      "The tags are encrypted in this export; run pulumi stack export --show-secrets, or pulumi policy analyze.",
    );
  }
  if (ref.state == State.Unknown) return undecided("The tags are unknown until apply.");
  const tags = ref.value;
  const missing = new Array<string>();
  for (let i = 0; i < required.length; i++) {
    const key = required[i];
    if (!tags.has(key) && !missing.includes(key)) missing.push(key);
  }
  if (missing.length == 0) return pass();
  return violation("Missing required tags: " + missing.join(", ") + ".");
}

export const PACK = new Pack(
  "example-assemblyscript",
  "1.0.0",
  "The Palisade example pack, in AssemblyScript.",
  [
    {
      name: "aws-s3-bucket-disallow-public-read",
      description: "S3 buckets and bucket ACLs must not grant public read access.",
      severity: "high",
      enforcementLevel: "mandatory",
      resourceTypes: [
        "aws_s3_bucket",
        "aws_s3_bucket_acl",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:s3/bucketAclV2:BucketAclV2",
      ],
      configSchema: '{"type":"object"}',
      help: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl",
      check: disallowPublicRead,
    },
    {
      name: "required-tags",
      description: "Resources must carry the tags named in the config.",
      severity: "medium",
      enforcementLevel: "advisory",
      resourceTypes: [
        "aws_s3_bucket",
        "aws_instance",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:ec2/instance:Instance",
      ],
      configSchema:
        '{"type":"object","properties":{"tags":' +
        '{"type":"array","items":{"type":"string"},"default":["owner"]}}}',
      help: "Add the missing keys to the resource's tags.",
      check: requiredTags,
    },
  ],
);
