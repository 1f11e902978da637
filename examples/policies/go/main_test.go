package main

import (
	"encoding/json"
	"reflect"
	"testing"

	"example/palisade"
)

const batch = `{"resources":[
 {"address":"a.pr","props":{"acl":"public-read","tags":{"owner":"x"}}},
 {"address":"a.prw","props":{"acl":"public-read-write"}},
 {"address":"a.unk","props":{"acl":"04da6b54-80e4-46f7-96ec-b56ff0331ba9","tags":"04da6b54-80e4-46f7-96ec-b56ff0331ba9"}},
 {"address":"a.odd","props":{"acl":5,"tags":["owner"]}},
 {"address":"a.null","props":null},
 {"address":"a.list","props":{"acl":["public-read"],"tags":{"owner":null,"te\"am":"04da6b54-80e4-46f7-96ec-b56ff0331ba9"}}},
 {"address":"a.str","props":"weird"}]}`

type violation struct {
	Policy, Resource, Message string
	Undecided                 bool
}

func evaluate(t *testing.T, request string) []violation {
	t.Helper()
	var reply struct {
		Violations []violation
		Error      *string
	}
	out := palisade.Evaluate([]byte(request))
	if err := json.Unmarshal(out, &reply); err != nil || reply.Error != nil || reply.Violations == nil {
		t.Fatalf("reply %s (%v)", out, err)
	}
	return reply.Violations
}

func TestPolicies(t *testing.T) {
	if out := palisade.Load([]byte(batch)); len(out) != 0 {
		t.Fatalf("load: %s", out)
	}
	const acl, tags = "aws-s3-bucket-disallow-public-read", "required-tags"
	got := evaluate(t, `{"policy":"`+acl+`","config":{},"targets":[0,1,2,3,4,5,6]}`)
	want := []violation{
		{acl, "a.pr", `S3 bucket ACL "public-read" grants public read access.`, false},
		{acl, "a.prw", `S3 bucket ACL "public-read-write" grants public read and write access.`, false},
		{acl, "a.unk", "The bucket ACL is unknown until apply.", true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", acl, got, want)
	}
	got = evaluate(t, `{"policy":"`+tags+`","config":{"tags":["owner",1,"te\"am","owner",null]},"targets":[0,1,2,3,4,5,6]}`)
	want = []violation{
		{tags, "a.pr", `Missing required tags: te"am.`, false},
		{tags, "a.prw", `Missing required tags: owner, te"am.`, false},
		{tags, "a.unk", "The tags are unknown until apply.", true},
		{tags, "a.odd", `Missing required tags: owner, te"am.`, false},
		{tags, "a.null", `Missing required tags: owner, te"am.`, false},
		{tags, "a.str", `Missing required tags: owner, te"am.`, false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", tags, got, want)
	}
	if got = evaluate(t, `{"policy":"`+tags+`","config":{"tags":[]},"targets":[0,1,4]}`); len(got) != 0 {
		t.Errorf("no required tags: %+v", got)
	}
}

// Batches that carry unset and encrypted (ABI v1 section 4).
const states = `{"resources":[
 {"address":"acl.unset","props":{"acl":"04da6b54-80e4-46f7-96ec-b56ff0331ba9","tags":{"owner":"x"}},"unset":[["acl"]]},
 {"address":"acl.root.unset","props":{"acl":"04da6b54-80e4-46f7-96ec-b56ff0331ba9","tags":{"owner":"x"}},"unset":[[]]},
 {"address":"acl.encrypted","props":{"acl":"04da6b54-80e4-46f7-96ec-b56ff0331ba9","tags":{"owner":"x"}},"encrypted":[["acl"]],"secret":[["acl"]]},
 {"address":"nearest","props":{"acl":"04da6b54-80e4-46f7-96ec-b56ff0331ba9","tags":"04da6b54-80e4-46f7-96ec-b56ff0331ba9"},"unset":[[]],"encrypted":[["acl"]]},
 {"address":"acl.unknown","props":{"acl":"04da6b54-80e4-46f7-96ec-b56ff0331ba9","tags":{"owner":"x"}},"unset":[["grant"]],"encrypted":[["acl",0]]},
 {"address":"acl.known","props":{"acl":"public-read","tags":{"owner":"x"}},"unset":[["acl"]],"encrypted":[["acl"]]},
 {"address":"tags.unset","props":{"tags":"04da6b54-80e4-46f7-96ec-b56ff0331ba9"},"unset":[["tags"]]},
 {"address":"tags_all.unset","props":{"tags":"04da6b54-80e4-46f7-96ec-b56ff0331ba9","tags_all":"04da6b54-80e4-46f7-96ec-b56ff0331ba9"},"unset":[["tags_all"]]},
 {"address":"tags.encrypted","props":{"tags":"04da6b54-80e4-46f7-96ec-b56ff0331ba9"},"encrypted":[["tags"]]},
 {"address":"owner.unset","props":{"tags":{"owner":"04da6b54-80e4-46f7-96ec-b56ff0331ba9"}},"unset":[["tags","owner"]]},
 {"address":"malformed","props":{"acl":"04da6b54-80e4-46f7-96ec-b56ff0331ba9","tags":{"owner":"x"}},"unset":"acl","encrypted":{"acl":1}}]}`

func TestStates(t *testing.T) {
	if out := palisade.Load([]byte(states)); len(out) != 0 {
		t.Fatalf("load: %s", out)
	}
	const acl, tags = "aws-s3-bucket-disallow-public-read", "required-tags"
	const all = `[0,1,2,3,4,5,6,7,8,9,10]`
	const encrypted = "The bucket ACL is encrypted in this export; run pulumi stack export --show-secrets, or pulumi policy analyze."
	got := evaluate(t, `{"policy":"`+acl+`","config":{},"targets":`+all+`}`)
	want := []violation{
		{acl, "acl.encrypted", encrypted, true},
		{acl, "nearest", encrypted, true},
		{acl, "acl.unknown", "The bucket ACL is unknown until apply.", true},
		{acl, "acl.known", `S3 bucket ACL "public-read" grants public read access.`, false},
		{acl, "malformed", "The bucket ACL is unknown until apply.", true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", acl, got, want)
	}
	got = evaluate(t, `{"policy":"`+tags+`","config":{"tags":["owner"]},"targets":`+all+`}`)
	want = []violation{
		{tags, "nearest", "Missing required tags: owner.", false},
		{tags, "tags.unset", "Missing required tags: owner.", false},
		{tags, "tags_all.unset", "The tags are unknown until apply.", true},
		{tags, "tags.encrypted", "The tags are encrypted in this export; run pulumi stack export --show-secrets, or pulumi policy analyze.", true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", tags, got, want)
	}
}

func TestDescribeIsJSON(t *testing.T) {
	var doc struct {
		Name     string
		Policies []map[string]any
	}
	if err := json.Unmarshal(palisade.Describe(), &doc); err != nil || doc.Name != "example-go" || len(doc.Policies) != 2 {
		t.Fatalf("describe: %s (%v)", palisade.Describe(), err)
	}
}
