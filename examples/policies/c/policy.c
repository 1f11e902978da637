/* The Palisade example pack, in C (examples/policies/README.md). */
#include "palisade.h"

/* `props.<key>` exactly as the spec reads it (absent unless `props` is an
 * object), with unset values read as absent. */
static pal_ref configured_prop(const pal_resource *r, const char *key) {
  pal_ref ref = {0}; /* absent */
  if (pal_is_object(r->props)) {
    pal_ref found = pal_ref_prop(r, key);
    ref = pal_configured(&found);
  }
  return ref;
}

static void check_public_read(const pal_resource *r, const pal_value *config,
                              pal_report *out) {
  /* An ACL the configuration does not set reads as absent: the AWS provider
   * (4 and later) makes it computed, and a new bucket is private. */
  pal_ref ref = configured_prop(r, "acl");
  const pal_value *acl = ref.value;
  (void)config;
  if (ref.state == PAL_STATE_ENCRYPTED)
    pal_undecided(out, "The bucket ACL is encrypted in this export; run pulumi "
                       "stack export --show-secrets, or pulumi policy "
                       "analyze.");
  else if (ref.state == PAL_STATE_UNKNOWN)
    pal_undecided(out, "The bucket ACL is unknown until apply.");
  else if (pal_str_eq(acl, "public-read"))
    pal_violation(out, "S3 bucket ACL \"public-read\" grants public read "
                       "access.");
  else if (pal_str_eq(acl, "public-read-write"))
    pal_violation(out, "S3 bucket ACL \"public-read-write\" grants public "
                       "read and write access.");
}

/* Whether item `i` of `list` is a string that comes earlier in it too. */
static bool seen_before(const pal_value *list, size_t i) {
  for (size_t j = 0; j < i; j++)
    if (pal_same_string(pal_at(list, j), pal_at(list, i)))
      return true;
  return false;
}

static void check_required_tags(const pal_resource *r, const pal_value *config,
                                pal_report *out) {
  /* Tags the configuration does not set: no tags. */
  pal_ref ref = configured_prop(r, "tags");
  const pal_value *tags = ref.value;
  const pal_value *required = pal_get(config, "tags");
  size_t missing = 0, wanted = 0;
  for (size_t i = 0; i < pal_len(required); i++)
    wanted += pal_is_string(pal_at(required, i));
  if (wanted == 0)
    return; /* nothing required: no value needed to decide */
  if (ref.state == PAL_STATE_ENCRYPTED) {
    pal_undecided(out, "The tags are encrypted in this export; run pulumi "
                       "stack export --show-secrets, or pulumi policy "
                       "analyze.");
    return;
  }
  if (ref.state == PAL_STATE_UNKNOWN) {
    pal_undecided(out, "The tags are unknown until apply.");
    return;
  }
  for (size_t i = 0; i < pal_len(required); i++) {
    const pal_value *key = pal_at(required, i);
    if (!pal_is_string(key) || seen_before(required, i) ||
        pal_get_n(tags, key->as.string.ptr, key->as.string.len))
      continue;
    if (missing++ == 0) {
      pal_begin(out, false);
      pal_add(out, "Missing required tags: ");
    } else {
      pal_add(out, ", ");
    }
    pal_add_n(out, key->as.string.ptr, key->as.string.len);
  }
  if (missing) {
    pal_add(out, ".");
    pal_end(out);
  }
}

static const char *const BUCKET_AND_ACL_TYPES[] = {
    "aws_s3_bucket",
    "aws_s3_bucket_acl",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:s3/bucketAclV2:BucketAclV2",
    NULL,
};

static const char *const TAGGED_TYPES[] = {
    "aws_s3_bucket",
    "aws_instance",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:ec2/instance:Instance",
    NULL,
};

static const pal_policy POLICIES[] = {
    {
        .name = "aws-s3-bucket-disallow-public-read",
        .description =
            "S3 buckets and bucket ACLs must not grant public read access.",
        .severity = "high",
        .enforcement_level = "mandatory",
        .resource_types = BUCKET_AND_ACL_TYPES,
        .config_schema = "{\"type\":\"object\"}",
        .help = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
                "acl-overview.html#canned-acl",
        .check = check_public_read,
    },
    {
        .name = "required-tags",
        .description = "Resources must carry the tags named in the config.",
        .severity = "medium",
        .enforcement_level = "advisory",
        .resource_types = TAGGED_TYPES,
        .config_schema = "{\"type\":\"object\",\"properties\":{\"tags\":{"
                         "\"type\":\"array\",\"items\":{\"type\":\"string\"},"
                         "\"default\":[\"owner\"]}}}",
        .help = "Add the missing keys to the resource's tags.",
        .check = check_required_tags,
    },
};

const pal_pack PALISADE_PACK = {
    .name = "example-c",
    .version = "1.0.0",
    .description = "The Palisade example pack, in C.",
    .policies = POLICIES,
    .policy_count = PAL_COUNT(POLICIES),
};
