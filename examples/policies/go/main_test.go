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

func TestDescribeIsJSON(t *testing.T) {
	var doc struct {
		Name     string
		Policies []map[string]any
	}
	if err := json.Unmarshal(palisade.Describe(), &doc); err != nil || doc.Name != "example-go" || len(doc.Policies) != 2 {
		t.Fatalf("describe: %s (%v)", palisade.Describe(), err)
	}
}
