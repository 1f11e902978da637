// The Palisade example pack (examples/policies/README.md), in JavaScript.

import { UNKNOWN, get, has, isObject, pack, undecided } from "./palisade.js";

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
        const acl = get(resource.props, "acl");
        if (acl === "public-read") return 'S3 bucket ACL "public-read" grants public read access.';
        if (acl === "public-read-write")
          return 'S3 bucket ACL "public-read-write" grants public read and write access.';
        if (acl === UNKNOWN) return undecided("The bucket ACL is unknown until apply.");
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
        const tags = get(resource.props, "tags");
        if (tags === UNKNOWN) return undecided("The tags are unknown until apply.");
        // A key is present whatever its value, an unknown one included.
        const missing = isObject(tags) ? required.filter((key) => !has(tags, key)) : required;
        if (missing.length > 0) return `Missing required tags: ${missing.join(", ")}.`;
      },
    },
  ],
});
