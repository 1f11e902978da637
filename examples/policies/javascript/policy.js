// The Palisade example pack (examples/policies/README.md), in JavaScript.

import { Prop, State, get, has, isObject, pack, prop, undecided } from "./palisade.js";

const ENCRYPTED_ACL =
  "The bucket ACL is encrypted in this export; run pulumi stack export --show-secrets, or pulumi policy analyze.";
const ENCRYPTED_TAGS =
  "The tags are encrypted in this export; run pulumi stack export --show-secrets, or pulumi policy analyze.";

// `props.<key>` exactly as the spec reads it: absent unless `props` is an object.
function propOf(resource, key) {
  return isObject(get(resource, "props")) ? prop(resource, key) : new Prop(resource, [key], undefined, State.ABSENT);
}

export const { describe, load, evaluate } = pack({
  name: "example-javascript",
  version: "1.0.0",
  description: "The Palisade example pack, in JavaScript.",
  policies: [
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
      configSchema: { type: "object" },
      help: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl",
      check(resource) {
        // An ACL the configuration does not set reads as absent: the AWS
        // provider (4 and later) makes it computed, and a new bucket is private.
        const acl = propOf(resource, "acl").configured();
        if (acl.state === State.ENCRYPTED) return undecided(ENCRYPTED_ACL);
        if (acl.state === State.UNKNOWN) return undecided("The bucket ACL is unknown until apply.");
        if (acl.value === "public-read") return 'S3 bucket ACL "public-read" grants public read access.';
        if (acl.value === "public-read-write")
          return 'S3 bucket ACL "public-read-write" grants public read and write access.';
      },
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
      configSchema: {
        type: "object",
        properties: { tags: { type: "array", items: { type: "string" }, default: ["owner"] } },
      },
      help: "Add the missing keys to the resource's tags.",
      check(resource, config) {
        const wanted = get(config, "tags");
        const required = Array.isArray(wanted) ? [...new Set(wanted.filter((k) => typeof k === "string"))] : [];
        if (required.length === 0) return;
        // Tags the configuration does not set: no tags.
        const tags = propOf(resource, "tags").configured();
        if (tags.state === State.ENCRYPTED) return undecided(ENCRYPTED_TAGS);
        if (tags.state === State.UNKNOWN) return undecided("The tags are unknown until apply.");
        // A key is present whatever its value, an unknown one included.
        const missing = isObject(tags.value) ? required.filter((key) => !has(tags.value, key)) : required;
        if (missing.length > 0) return `Missing required tags: ${missing.join(", ")}.`;
      },
    },
  ],
});
