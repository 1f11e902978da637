package palisade

import (
	"reflect"
	"testing"
)

// resourceOf loads one resource from JSON text, as Load would.
func resourceOf(t *testing.T, text string) *Resource {
	t.Helper()
	doc, err := parseJSON([]byte(text))
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	r := resource(doc)
	return &r
}

const u = `"04da6b54-80e4-46f7-96ec-b56ff0331ba9"`

func TestStates(t *testing.T) {
	r := resourceOf(t, `{"address":"r","props":{"a":null,"u":`+u+`,"s":`+u+`,"e":`+u+`,"k":[1,{"x":`+u+`}]},
		"unset":[["s"],["k",1,"x"],["a",true],[1.5],"s"],"encrypted":[["e"]]}`)
	for _, c := range []struct {
		path []any
		want State
	}{
		{[]any{"none"}, StateAbsent}, {[]any{"a"}, StateNull}, {[]any{"s"}, StateUnset},
		{[]any{"e"}, StateEncrypted}, {[]any{"u"}, StateUnknown}, {[]any{"k"}, StateKnown},
		{[]any{"k", 1, "x"}, StateUnset}, {[]any{"k", 0}, StateKnown}, {[]any{"k", 2}, StateAbsent},
		{[]any{"k", "0"}, StateAbsent}, {[]any{"a", "b"}, StateAbsent},
		{[]any{"s", "x", 0}, StateUnset}, {[]any{"e", "x"}, StateEncrypted}, {[]any{"u", 3}, StateUnknown},
	} {
		if got := r.State(c.path...); got != c.want {
			t.Errorf("%v: %v, want %v", c.path, got, c.want)
		}
	}
	if got := r.Get("k").Get(1).Get("x").State(); got != StateUnset {
		t.Errorf("navigated k[1].x: %v", got)
	}
	if v := r.Get("k", 0); v.Value() != Number("1") || !v.IsKnown() || r.Get("e").Value() != nil {
		t.Errorf("values: %#v %#v", v.Value(), r.Get("e").Value())
	}
	if !r.Get("s").IsUnset() || !r.Get("e").IsEncrypted() || !r.Get("u").IsUnknown() ||
		!r.Get("a").IsNull() || !r.Get("none").IsAbsent() {
		t.Error("Is* disagree with State")
	}
	if got := (Value{}).Get("x").State(); got != StateAbsent {
		t.Errorf("under the zero Value: %v", got)
	}
	if got := resourceOf(t, `{"props":`+u+`,"unset":[[]]}`).State("x"); got != StateUnset {
		t.Errorf("root unset: %v", got)
	}
	if got := resourceOf(t, `{"props":`+u+`}`).State("x"); got != StateUnknown {
		t.Errorf("root unknown: %v", got)
	}
}

func TestNearestPath(t *testing.T) {
	r := resourceOf(t, `{"props":{"a":{"b":`+u+`},"c":`+u+`},"unset":[["a"],["c"]],"encrypted":[["a","b"],["c"]]}`)
	if r.State("a", "b") != StateEncrypted || r.State("c") != StateEncrypted {
		t.Errorf("a.b %v, c %v: want encrypted (nearest; encrypted wins a tie)", r.State("a", "b"), r.State("c"))
	}
	r = resourceOf(t, `{"props":{"a":{"b":`+u+`}},"unset":[["a","b"]],"encrypted":[["a"]]}`)
	if r.State("a", "b") != StateUnset {
		t.Errorf("a.b %v, want unset", r.State("a", "b"))
	}
}

func TestConfigured(t *testing.T) {
	r := resourceOf(t, `{"props":{"s":`+u+`,"e":`+u+`,"u":`+u+`,"m":{"k":`+u+`}},"unset":[["s"],["m","k"]],"encrypted":[["e"]]}`)
	for _, c := range []struct {
		v    Value
		want State
	}{
		{r.Get("s").Configured(), StateAbsent}, {r.Get("s"), StateUnset},
		{r.Get("e").Configured(), StateEncrypted}, {r.Get("u").Configured(), StateUnknown},
		{r.Get().Configured().Get("m").Get("k"), StateAbsent}, {r.Get("m").Get("k"), StateUnset},
	} {
		if c.v.State() != c.want {
			t.Errorf("%v: %v, want %v", c.v.Path(), c.v.State(), c.want)
		}
	}
}

func TestReasons(t *testing.T) {
	r := resourceOf(t, `{"props":{"acl":`+u+`,"rules":[{"cidr":`+u+`}],"u":`+u+`,"k":1},"unset":[["acl"]],"encrypted":[["rules",0,"cidr"]]}`)
	for _, c := range []struct {
		v    Value
		want string
	}{
		{r.Get("acl"), "`acl` is not set in the configuration"},
		{r.Get("rules", 0, "cidr"), "`rules[0].cidr` is encrypted in this export (run `pulumi stack export --show-secrets`, or `pulumi policy analyze`)"},
		{r.Get("u"), "`u` is known only after apply"},
		{r.Get("k"), ""}, {r.Get("none"), ""},
	} {
		if got := c.v.Reason(); got != c.want {
			t.Errorf("%v: %q, want %q", c.v.Path(), got, c.want)
		}
	}
	if f := r.Get("acl").Undecided(); !reflect.DeepEqual(f, Undecided("`acl` is not set in the configuration")) {
		t.Errorf("Undecided: %+v", f)
	}
	if f := r.Get("acl").Configured().Undecided(); f != nil {
		t.Errorf("configured: %+v", f)
	}
	if got := StateEncrypted.String() + State(9).String(); got != "encryptedState(9)" {
		t.Errorf("String: %s", got)
	}
}
