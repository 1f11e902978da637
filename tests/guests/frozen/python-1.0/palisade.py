"""Palisade policy packs in plain Python.

The authoring side of a pack: a `Pack` collects resource policies declared
with `@pack.resource_policy(...)`, keeps the batch handed to `load`, and runs
one policy per `evaluate`. It knows nothing of WIT: `app.py` maps it onto the
`pack` world of `sdk/wit/palisade.wit`, so this module also runs on plain
CPython (see `test_policy.py`).

A policy is a function `(resource, config)` that returns or yields its
findings: a message (`str`) for a violation, `undecided(message)` when a value
it needs is unknown until apply, or nothing (`None`) when the resource passes.
"""

import json
from dataclasses import dataclass, field

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The unknown sentinel: a value known only after apply (ABI v1 section 4)."""

SEVERITIES = ("low", "medium", "high", "critical")
ENFORCEMENT_LEVELS = ("advisory", "mandatory", "remediate", "disabled")


class PolicyError(Exception):
    """A failure of the pack or of a policy, reported to the host as `err`."""


@dataclass
class Violation:
    """One finding; `resource` (its address) is filled in by `Pack.evaluate`."""

    message: str
    undecided: bool = False
    remediation: object = None
    resource: str = ""


def undecided(message):
    """A finding that cannot be decided before apply (advisory, never blocking)."""
    return Violation(message, undecided=True)


class Resource(dict):
    """A resource of the batch (ABI v1 section 4): the JSON object, as a dict."""

    @property
    def address(self):
        return self["address"]

    @property
    def type(self):
        return self.get("type")

    @property
    def props(self):
        """The `props` object; `{}` when it is null or not an object."""
        props = self.get("props")
        return props if isinstance(props, dict) else {}


@dataclass
class Policy:
    """A policy's metadata (ABI v1 section 3) and its function."""

    function: object
    name: str
    description: str
    severity: str
    enforcement_level: str
    kind: str = "resource"
    resource_types: list = field(default_factory=list)
    config_schema: object = None
    help: str = None

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"policy {self.name}: bad severity {self.severity!r}")
        if self.enforcement_level not in ENFORCEMENT_LEVELS:
            raise ValueError(
                f"policy {self.name}: bad enforcement level {self.enforcement_level!r}"
            )
        self.resource_types = list(self.resource_types)

    def schema_text(self):
        """The config schema as compact JSON text, or `None` for the default."""
        if self.config_schema is None:
            return None
        return json.dumps(self.config_schema, separators=(",", ":"), ensure_ascii=False)


class Pack:
    """A policy pack: its metadata, its policies and the loaded batch."""

    def __init__(self, name, version, description=""):
        self.name = name
        self.version = version
        self.description = description
        self.policies = {}
        self._resources = None

    def resource_policy(self, name, *, description=None, **metadata):
        """Declare a resource policy: `severity`, `enforcement_level`,
        `resource_types`, `config_schema` (a dict), `help`; `description`
        defaults to the function's docstring."""

        def register(function):
            if name in self.policies:
                raise ValueError(f"policy {name} declared twice")
            text = description or (function.__doc__ or "").strip()
            self.policies[name] = Policy(function, name, text, **metadata)
            return function

        return register

    def load(self, batch):
        """Keep the resources of `batch` (JSON text) for the next `evaluate` calls."""
        self._resources = None
        document = _parse("batch", batch)
        resources = document.get("resources") if isinstance(document, dict) else None
        if not isinstance(resources, list):
            raise PolicyError("the batch has no resources array")
        for index, resource in enumerate(resources):
            if not (
                isinstance(resource, dict) and isinstance(resource.get("address"), str)
            ):
                raise PolicyError(
                    f"resources[{index}] is not an object with an address"
                )
        self._resources = [Resource(resource) for resource in resources]

    def evaluate(self, policy, config, targets):
        """Run `policy` with `config` (JSON text) on the resources at `targets`."""
        found = self.policies.get(policy)
        if found is None:
            raise PolicyError(f"no policy named {policy} in pack {self.name}")
        if self._resources is None:
            raise PolicyError("evaluate called before load")
        config = _parse("config", config)
        if not isinstance(config, dict):
            raise PolicyError("the config is not a JSON object")
        violations = []
        for index in targets:
            if not 0 <= index < len(self._resources):
                raise PolicyError(f"target {index} is out of the batch")
            resource = self._resources[index]
            try:
                for violation in _findings(found.function(resource, config)):
                    violation.resource = resource.address
                    violations.append(violation)
            except Exception as error:  # noqa: BLE001 (any failure is the policy's)
                raise PolicyError(
                    f"policy {policy} failed on {resource.address}: {type(error).__name__}: {error}"
                ) from None
        return violations


def _parse(what, text):
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise PolicyError(f"the {what} is not valid JSON: {error}") from None


def _findings(result):
    """A policy's result as Violations: None, a message, a Violation, or an iterable."""
    if result is None:
        return []
    if isinstance(result, (str, Violation)):
        result = [result]
    return [
        r if isinstance(r, Violation) else Violation(str(r))
        for r in result
        if r is not None
    ]
