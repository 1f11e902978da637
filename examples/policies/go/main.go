// The Palisade example pack in Go (see ../README.md for the spec). The
// palisade package serves it through the ABI v1 exports.
package main

import (
	"slices"
	"strings"

	"example/palisade"
)

func init() {
	palisade.Register(palisade.Pack{
		Name:        "example-go",
		Version:     "1.0.0",
		Description: "The Palisade example pack, in Go.",
		Policies: []palisade.Policy{{
			Name:        "aws-s3-bucket-disallow-public-read",
			Description: "S3 buckets and bucket ACLs must not grant public read access.",
			Severity:    palisade.High,
			Enforcement: palisade.Mandatory,
			ResourceTypes: []string{"aws_s3_bucket", "aws_s3_bucket_acl", "aws:s3/bucket:Bucket",
				"aws:s3/bucketV2:BucketV2", "aws:s3/bucketAclV2:BucketAclV2"},
			ConfigSchema: `{"type":"object"}`,
			Help:         "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl",
			Check:        disallowPublicRead,
		}, {
			Name:        "required-tags",
			Description: "Resources must carry the tags named in the config.",
			Severity:    palisade.Medium,
			Enforcement: palisade.Advisory,
			ResourceTypes: []string{"aws_s3_bucket", "aws_instance", "aws:s3/bucket:Bucket",
				"aws:s3/bucketV2:BucketV2", "aws:ec2/instance:Instance"},
			ConfigSchema: `{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string"},"default":["owner"]}}}`,
			Help:         "Add the missing keys to the resource's tags.",
			Check:        requiredTags,
		}},
	})
}

const (
	encryptedACL  = "The bucket ACL is encrypted in this export; run pulumi stack export --show-secrets, or pulumi policy analyze."
	encryptedTags = "The tags are encrypted in this export; run pulumi stack export --show-secrets, or pulumi policy analyze."
)

// prop is props.<key> exactly as the spec reads it: absent unless props is
// an object.
func prop(r *palisade.Resource, key string) palisade.Value {
	if _, ok := r.Props.(map[string]any); !ok {
		return palisade.Value{} // absent
	}
	return r.Get(key)
}

func disallowPublicRead(r *palisade.Resource, _ palisade.Config) *palisade.Finding {
	// An ACL the configuration does not set reads as absent: the AWS provider
	// (4 and later) makes it computed, and a new bucket is private.
	acl := prop(r, "acl").Configured()
	switch {
	case acl.IsEncrypted():
		return palisade.Undecided(encryptedACL)
	case acl.IsUnknown():
		return palisade.Undecided("The bucket ACL is unknown until apply.")
	}
	switch acl.Value() {
	case "public-read":
		return palisade.Violation(`S3 bucket ACL "public-read" grants public read access.`)
	case "public-read-write":
		return palisade.Violation(`S3 bucket ACL "public-read-write" grants public read and write access.`)
	}
	return nil
}

func requiredTags(r *palisade.Resource, config palisade.Config) *palisade.Finding {
	required := config.Strings("tags")
	if len(required) == 0 {
		return nil // nothing required: no value is needed to decide
	}
	// Tags the configuration does not set: no tags.
	tags := prop(r, "tags").Configured()
	switch {
	case tags.IsEncrypted():
		return palisade.Undecided(encryptedTags)
	case tags.IsUnknown():
		return palisade.Undecided("The tags are unknown until apply.")
	}
	present, _ := tags.Value().(map[string]any) // nil (no keys) when not an object
	var missing []string
	for _, key := range required {
		if _, ok := present[key]; !ok && !slices.Contains(missing, key) {
			missing = append(missing, key)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return palisade.Violation("Missing required tags: " + strings.Join(missing, ", ") + ".")
}

// main is never run: in c-shared mode the host calls _initialize (which runs
// init above) and then the exports.
func main() {}
