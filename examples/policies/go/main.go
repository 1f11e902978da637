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

func disallowPublicRead(r *palisade.Resource, _ palisade.Config) *palisade.Finding {
	switch r.Prop("acl") {
	case "public-read":
		return palisade.Violation(`S3 bucket ACL "public-read" grants public read access.`)
	case "public-read-write":
		return palisade.Violation(`S3 bucket ACL "public-read-write" grants public read and write access.`)
	case palisade.Unknown:
		return palisade.Undecided("The bucket ACL is unknown until apply.")
	}
	return nil
}

func requiredTags(r *palisade.Resource, config palisade.Config) *palisade.Finding {
	required := config.Strings("tags")
	if len(required) == 0 {
		return nil // nothing required: no value is needed to decide
	}
	tags := r.Prop("tags")
	if tags == palisade.Unknown {
		return palisade.Undecided("The tags are unknown until apply.")
	}
	present, _ := tags.(map[string]any) // nil (no keys) when not an object
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
