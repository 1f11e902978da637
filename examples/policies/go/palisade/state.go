package palisade

import "strconv"

// State is the state of a value in a resource's props (ABI v1 section 4,
// "Not set and encrypted values").
type State int

// The states of a value.
const (
	StateAbsent    State = iota // no such key (or a key under a value that is not an object or list)
	StateNull                   // a JSON null
	StateUnset                  // not set in the configuration; the provider fills it in at apply
	StateEncrypted              // encrypted in this input (Pulumi ciphertext, [secret])
	StateUnknown                // set by an expression known only after apply
	StateKnown                  // a value: string, number, bool, list or object
)

// String names the state: absent, null, unset, encrypted, unknown or known.
func (s State) String() string {
	switch s {
	case StateAbsent:
		return "absent"
	case StateNull:
		return "null"
	case StateUnset:
		return "unset"
	case StateEncrypted:
		return "encrypted"
	case StateUnknown:
		return "unknown"
	case StateKnown:
		return "known"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// hasNoValue reports whether s is unset, encrypted or unknown: a value a
// policy cannot read here.
func (s State) hasNoValue() bool {
	return s == StateUnset || s == StateEncrypted || s == StateUnknown
}

// Value is a value of a resource's props with its path and State. Get
// navigates (a missing key is absent; under an unset, encrypted or unknown
// value everything is in the same state); Configured reads unset values as
// absent, for a policy that applies the provider's default, and sticks
// through Get. The zero Value is absent.
type Value struct {
	r          *Resource
	path       []any
	value      any
	state      State
	configured bool
}

func newValue(r *Resource, path []any, value any, state State, configured bool) Value {
	if configured && state == StateUnset {
		state = StateAbsent
	}
	if state != StateKnown {
		value = nil
	}
	return Value{r: r, path: path, value: value, state: state, configured: configured}
}

// Get returns the value at path (string keys and int indexes) from the root
// of r.Props: r.Get("acl"), r.Get("rules", 0, "cidr").
func (r *Resource) Get(path ...any) Value {
	v := r.valueAt(nil, r.Props, false)
	for _, step := range path {
		v = v.Get(step)
	}
	return v
}

// State returns the State of the value at path from the root of r.Props.
func (r *Resource) State(path ...any) State { return r.Get(path...).state }

func (r *Resource) valueAt(path []any, value any, configured bool) Value {
	state := StateKnown
	switch {
	case value == nil:
		state = StateNull
	case value == Unknown:
		state = r.covering(path)
	}
	return newValue(r, path, value, state, configured)
}

// covering is the state of the sentinel at path: that of the nearest path
// listed in Encrypted or Unset that is path or a prefix of it (Encrypted
// wins a tie); StateUnknown when none is.
func (r *Resource) covering(path []any) State {
	best, state := -1, StateUnknown
	for _, list := range [...]struct {
		paths []any
		state State
	}{{r.Encrypted, StateEncrypted}, {r.Unset, StateUnset}} {
		for _, p := range list.paths {
			steps, ok := p.([]any)
			if ok && best < len(steps) && len(steps) <= len(path) && isPrefix(steps, path) {
				best, state = len(steps), list.state
			}
		}
	}
	return state
}

// isPrefix reports whether the listed path steps (JSON: strings and
// Numbers) begin path (strings and ints).
func isPrefix(steps, path []any) bool {
	for i, step := range steps {
		switch s := step.(type) {
		case string:
			if k, ok := path[i].(string); !ok || k != s {
				return false
			}
		case Number:
			n, err := strconv.Atoi(string(s))
			if k, ok := path[i].(int); err != nil || !ok || k != n {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// Get returns the member step (a string) of an object or the item step (an
// int) of a list.
func (v Value) Get(step any) Value {
	path := append(append(make([]any, 0, len(v.path)+1), v.path...), step)
	if v.state.hasNoValue() {
		return newValue(v.r, path, nil, v.state, v.configured)
	}
	var child any
	found := false
	switch s := step.(type) {
	case string:
		object, _ := v.value.(map[string]any)
		child, found = object[s]
	case int:
		if list, _ := v.value.([]any); s >= 0 && s < len(list) {
			child, found = list[s], true
		}
	}
	if !found {
		return newValue(v.r, path, nil, StateAbsent, v.configured)
	}
	return v.r.valueAt(path, child, v.configured)
}

// State returns the value's state.
func (v Value) State() State { return v.state }

// Value returns the decoded JSON value when the state is StateKnown, else nil.
func (v Value) Value() any { return v.value }

// Path returns the keys and indexes of the value from the root of props.
func (v Value) Path() []any { return append([]any(nil), v.path...) }

// IsAbsent reports whether there is no value here.
func (v Value) IsAbsent() bool { return v.state == StateAbsent }

// IsNull reports whether the value is a JSON null.
func (v Value) IsNull() bool { return v.state == StateNull }

// IsUnset reports whether the configuration does not set the value (the
// provider does, at apply).
func (v Value) IsUnset() bool { return v.state == StateUnset }

// IsEncrypted reports whether the value is encrypted in this input.
func (v Value) IsEncrypted() bool { return v.state == StateEncrypted }

// IsUnknown reports whether the value is known only after apply.
func (v Value) IsUnknown() bool { return v.state == StateUnknown }

// IsKnown reports whether there is a value to read (Value).
func (v Value) IsKnown() bool { return v.state == StateKnown }

// Configured returns v with unset values read as absent, here and below.
func (v Value) Configured() Value {
	return newValue(v.r, v.path, v.value, v.state, true)
}

// Reason is why the value cannot be read here ("`acl` is not set in the
// configuration"), or "" when it is absent, null or known.
func (v Value) Reason() string { return Reason(v.path, v.state) }

// Undecided returns an undecided finding with v's Reason when v is unset,
// encrypted or unknown, else nil:
//
//	if f := acl.Undecided(); f != nil {
//		return f
//	}
func (v Value) Undecided() *Finding {
	if !v.state.hasNoValue() {
		return nil
	}
	return Undecided(v.Reason())
}

// Reason is why a value at path in state cannot be read here, or "" when
// it can: the message of an undecided finding.
func Reason(path []any, state State) string {
	where := "`" + PathText(path) + "`"
	switch state {
	case StateUnset:
		return where + " is not set in the configuration"
	case StateEncrypted:
		return where + " is encrypted in this export (run `pulumi stack export --show-secrets`, or `pulumi policy analyze`)"
	case StateUnknown:
		return where + " is known only after apply"
	}
	return ""
}

// PathText writes a path as text: keys joined by ".", indexes as "[0]"
// (rules[0].cidr); "props" for the root.
func PathText(path []any) string {
	text := ""
	for _, step := range path {
		switch s := step.(type) {
		case int:
			text += "[" + strconv.Itoa(s) + "]"
		case Number:
			text += "[" + string(s) + "]"
		case string:
			if text != "" {
				text += "."
			}
			text += s
		}
	}
	if text == "" {
		return "props"
	}
	return text
}
