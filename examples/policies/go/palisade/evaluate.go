package palisade

import "strconv"

// Unknown is the sentinel that stands for a value known only after apply.
// An unknown property compares equal to it: r.Prop("acl") == palisade.Unknown.
const Unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

// Resource is one resource of the loaded batch (ABI v1 section 4). JSON
// values are nil, bool, Number, string, []any or map[string]any.
type Resource struct {
	Address  string
	Type     string
	Name     string
	Provider string
	Kind     string // managed, data, provider or component
	Op       string // create, update, replace, delete, read, no-op, forget or import
	Props    any    // an object, or nil
	Before   any    // the values before the change, or nil
	Secret   []any  // paths of secret values: never print them
	// Unset lists the paths of values the configuration does not set;
	// Encrypted those of values encrypted in this input (ABI v1 section 4).
	// Each path is a []any of string keys and Number indexes. Read a value's
	// state with Get or State (state.go).
	Unset, Encrypted []any
	Source           string
}

// Prop returns the property key of r.Props: nil when it is absent or null,
// or when Props is not an object.
func (r *Resource) Prop(key string) any {
	props, _ := r.Props.(map[string]any)
	return props[key]
}

// Config is a policy's config, with the schema's defaults filled in by the host.
type Config map[string]any

// Strings returns the string items of the list at key, in order; other
// items are skipped. Anything but a list gives none.
func (c Config) Strings(key string) []string {
	items, _ := c[key].([]any)
	var out []string
	for _, item := range items {
		if s, ok := item.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

var batch []Resource

func resource(v any) Resource {
	m, _ := v.(map[string]any)
	text := func(key string) string { s, _ := m[key].(string); return s }
	paths := func(key string) []any { p, _ := m[key].([]any); return p }
	return Resource{Address: text("address"), Type: text("type"), Name: text("name"),
		Provider: text("provider"), Kind: text("kind"), Op: text("op"), Props: m["props"],
		Before: m["before"], Secret: paths("secret"), Unset: paths("unset"),
		Encrypted: paths("encrypted"), Source: text("source")}
}

// Load parses and keeps a batch (ABI v1 section 4); it returns an empty
// reply on success and an error document otherwise.
func Load(data []byte) []byte {
	batch = nil
	doc, err := parseJSON(data)
	if err != nil {
		return errorReply("invalid batch: " + err.Error())
	}
	m, _ := doc.(map[string]any)
	list, ok := m["resources"].([]any)
	if !ok {
		return errorReply(`invalid batch: "resources" is not a list`)
	}
	batch = make([]Resource, len(list))
	for i, r := range list {
		batch[i] = resource(r)
	}
	return nil
}

// Evaluate runs one policy on the loaded batch (ABI v1 section 5) and
// returns the reply document. A panic of the check becomes an error reply.
func Evaluate(data []byte) (reply []byte) {
	doc, err := parseJSON(data)
	if err != nil {
		return errorReply("invalid evaluate request: " + err.Error())
	}
	req, _ := doc.(map[string]any)
	name, _ := req["policy"].(string)
	config, _ := req["config"].(map[string]any)
	targets, _ := req["targets"].([]any)
	switch {
	case batch == nil:
		return errorReply("no batch is loaded: call palisade_load first")
	case registered == nil:
		return errorReply("no pack is registered")
	}
	policy := registered.find(name)
	if policy == nil {
		return errorReply("pack " + strconv.Quote(registered.Name) + " has no policy " + strconv.Quote(name))
	}
	defer func() {
		if p := recover(); p != nil {
			reply = errorReply("policy " + name + " panicked: " + panicMessage(p))
		}
	}()
	buf := []byte(`{"violations":[`)
	first := true
	for _, t := range targets {
		n, _ := t.(Number)
		i, err := strconv.Atoi(string(n))
		if err != nil || i < 0 || i >= len(batch) {
			return errorReply("target " + string(n) + " is not an index of the loaded batch")
		}
		r := &batch[i]
		f := policy.Check(r, config)
		if f == nil {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, `{"policy":`...)
		buf = appendString(buf, policy.Name)
		buf = append(buf, `,"resource":`...)
		buf = appendString(buf, r.Address)
		buf = append(buf, `,"message":`...)
		buf = appendString(buf, f.Message)
		buf = append(buf, `,"undecided":`...)
		buf = strconv.AppendBool(buf, f.Undecided)
		buf = append(buf, '}')
	}
	return append(buf, "]}"...)
}

func panicMessage(p any) string {
	switch v := p.(type) {
	case string:
		return v
	case error:
		return v.Error()
	}
	return "(no message)"
}
