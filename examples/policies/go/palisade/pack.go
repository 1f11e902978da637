// Package palisade is the guest side of Palisade's ABI v1 (sdk/ABI.md) for
// Go packs built with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared.
//
// A pack registers its description and policies once, from an init
// function of package main (main itself is never run in c-shared mode):
//
//	func init() {
//		palisade.Register(palisade.Pack{Name: "my-pack", Version: "0.1.0",
//			Policies: []palisade.Policy{{Name: "my-policy", Severity: palisade.High,
//				Enforcement: palisade.Mandatory, Check: myCheck}}})
//	}
//
// The exports that the host calls live in abi_wasip1.go; Describe, Load and
// Evaluate are the same steps on byte slices, for native tests.
package palisade

// Severity is how bad a violation is.
type Severity string

// The severities of ABI v1.
const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Enforcement is a policy's default enforcement level.
type Enforcement string

// The enforcement levels of ABI v1.
const (
	Advisory  Enforcement = "advisory"
	Mandatory Enforcement = "mandatory"
	Remediate Enforcement = "remediate"
	Disabled  Enforcement = "disabled"
)

// Check judges one resource with the policy's config: nil when it passes.
type Check func(r *Resource, config Config) *Finding

// Policy is a resource policy: its metadata (ABI v1 section 3) and its check.
type Policy struct {
	Name          string
	Description   string
	Severity      Severity
	Enforcement   Enforcement // "" means mandatory for high and critical, advisory below
	ResourceTypes []string    // the types it judges; empty means every managed resource
	ConfigSchema  string      // a JSON Schema as JSON text; "" means {"type":"object"}
	Help          string      // a URL or a sentence of advice; optional
	Check         Check
}

// Pack is a policy pack: its name, version, description and policies.
type Pack struct {
	Name        string
	Version     string
	Description string
	Policies    []Policy
}

// Finding is what a check reports about a resource: a violation, or an
// undecided one when a value it needs is unknown until apply.
type Finding struct {
	Message   string
	Undecided bool
}

// Violation reports that the resource breaks the policy.
func Violation(message string) *Finding { return &Finding{Message: message} }

// Undecided reports that the policy cannot decide, because a value it needs
// is unknown until apply. The host shows it as an advisory note.
func Undecided(message string) *Finding { return &Finding{Message: message, Undecided: true} }

var registered *Pack

// Register makes p the pack served by the exports. Call it once, from init.
func Register(p Pack) {
	registered = &p
}

func (p *Policy) enforcement() Enforcement {
	switch {
	case p.Enforcement != "":
		return p.Enforcement
	case p.Severity == High || p.Severity == Critical:
		return Mandatory
	}
	return Advisory
}

func (p *Pack) find(name string) *Policy {
	for i := range p.Policies {
		if p.Policies[i].Name == name {
			return &p.Policies[i]
		}
	}
	return nil
}

// Describe returns the describe document of the registered pack (ABI v1
// section 3), or an error document when the pack is not usable.
func Describe() []byte {
	p := registered
	if p == nil {
		return errorReply("no pack is registered: call palisade.Register from an init function")
	}
	buf := appendString([]byte(`{"name":`), p.Name)
	buf = append(buf, `,"version":`...)
	buf = appendString(buf, p.Version)
	if p.Description != "" {
		buf = append(buf, `,"description":`...)
		buf = appendString(buf, p.Description)
	}
	buf = append(buf, `,"policies":[`...)
	for i, policy := range p.Policies {
		schema := policy.ConfigSchema
		if schema == "" {
			schema = `{"type":"object"}`
		}
		if _, err := parseJSON([]byte(schema)); err != nil {
			return errorReply("policy " + policy.Name + ": the config schema is not JSON: " + err.Error())
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"name":`...)
		buf = appendString(buf, policy.Name)
		buf = append(buf, `,"description":`...)
		buf = appendString(buf, policy.Description)
		buf = append(buf, `,"severity":`...)
		buf = appendString(buf, string(policy.Severity))
		buf = append(buf, `,"enforcement_level":`...)
		buf = appendString(buf, string(policy.enforcement()))
		buf = append(buf, `,"kind":"resource","resource_types":`...)
		buf = appendStrings(buf, policy.ResourceTypes)
		buf = append(buf, `,"config_schema":`...)
		buf = append(buf, schema...)
		if policy.Help != "" {
			buf = append(buf, `,"help":`...)
			buf = appendString(buf, policy.Help)
		}
		buf = append(buf, '}')
	}
	return append(buf, "]}"...)
}

func errorReply(message string) []byte {
	return append(appendString([]byte(`{"error":`), message), '}')
}
