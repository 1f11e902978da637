package palisade

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// fromStd converts encoding/json's reading (UseNumber) to ours.
func fromStd(v any) any {
	switch v := v.(type) {
	case json.Number:
		return Number(v)
	case []any:
		for i := range v {
			v[i] = fromStd(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = fromStd(v[k])
		}
	}
	return v
}

func std(data []byte) (any, error) {
	var v any
	if !json.Valid(data) {
		return nil, json.Unmarshal(data, &v)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return fromStd(v), nil
}

var samples = []string{
	`null`, `true`, `false`, `0`, `-0`, `-12.5e+3`, `1E9`, `"x"`, `[]`, `{}`, ` [1, "a", null] `,
	`{"a":{"b":[1,{"c":"\u00e9\ud83d\ude00\n\"\\\/\b\f\r\t"}]},"a":2}`,
	`"\ud800"`, `"\udc00x"`, `"\ud800\u0041"`, "\"\xff\xfe\"", "\"é\"", `"\u0000"`,
	`{"resources":[{"address":"a","props":null}]}`,
	// invalid
	``, ` `, `nul`, `tru`, `01`, `1.`, `.5`, `-`, `1e`, `+1`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{1:2}`,
	`[1 2]`, `"abc`, `"\x"`, `"\u12"`, "\"a\nb\"", `[`, `{`, `{"a":`, `1 2`, `[]]`, `NaN`,
}

func TestParseMatchesEncodingJSON(t *testing.T) {
	for _, s := range samples {
		got, err := parseJSON([]byte(s))
		want, wantErr := std([]byte(s))
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%q: error %v, encoding/json error %v", s, err, wantErr)
			continue
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %#v, encoding/json %#v", s, got, want)
		}
	}
}

func TestAppendStringRoundTrips(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "\x00\x01\x1f\n\r\t", "ünï cødé 😀", "\xff", "\u2028"} {
		var back string
		if err := json.Unmarshal(appendString(nil, s), &back); err != nil {
			t.Fatalf("%q: %s is not JSON: %v", s, appendString(nil, s), err)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); back != want {
			t.Errorf("%q: read back as %q", s, back)
		}
	}
}

func TestDeepNestingIsAnError(t *testing.T) {
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	if _, err := parseJSON([]byte(deep)); err == nil {
		t.Fatal("no error for nesting deeper than maxDepth")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseJSON(data)
		want, wantErr := std(data)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, encoding/json error %v", data, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %#v, encoding/json %#v", data, got, want)
		}
	})
}
