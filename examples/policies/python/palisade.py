"""Palisade policy packs in plain Python.

The authoring side of a pack: a `Pack` collects resource policies declared
with `@pack.resource_policy(...)`, keeps the batch handed to `load`, and runs
one policy per `evaluate`. It knows nothing of WIT: `app.py` maps it onto the
`pack` world of `sdk/wit/palisade.wit`, so this module also runs on plain
CPython (see `test_policy.py`).

A policy is a function `(resource, config)` that returns or yields its
findings: a message (`str`) for a violation, `undecided(message)` when a value
it needs is unknown until apply, or nothing (`None`) when the resource passes.

`resource.prop("acl")` reads a value with its state (`State`): absent, null,
unset (not set in the configuration: the provider fills it in at apply),
encrypted (unreadable in this input), unknown (known only after apply) or
known (ABI v1 section 4, "Not set and encrypted values"). Its typed readers
(`Prop.string()`, ...) raise `Undecided` for the three states without a
value, which `Pack.evaluate` reports as an undecided finding with the reason.
"""

import enum
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


# Fixes (ABI v1 section 5, "Remediation"): a violation's `remediation` is one
# of these documents. The host keeps it only at enforcement level `remediate`
# and checks it against the resource; a fix it refuses is an `abi` error of
# the policy for that resource, the violation kept.

ACTION_KINDS = {
    "s3.block-public-access": (
        "aws_s3_bucket",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
    ),
    "ec2.revoke-ingress": ("aws_security_group", "aws:ec2/securityGroup:SecurityGroup"),
    "kms.enable-rotation": ("aws_kms_key", "aws:kms/key:Key"),
    "rds.disable-public-access": ("aws_db_instance", "aws:rds/instance:Instance"),
    "ecr.immutable-tags": ("aws_ecr_repository", "aws:ecr/repository:Repository"),
}
"""The host's closed set of actions, each with the resource types it applies
to (Terraform, then Pulumi). Only `ec2.revoke-ingress` takes parameters."""


def tags_fix(set_tags=None, remove=()):
    """A tag change: `{"tags": {"set": {KEY: VALUE}, "remove": [KEY]}}`."""
    return {"tags": {"set": dict(set_tags or {}), "remove": list(remove)}}


def patch_fix(operations):
    """A JSON Patch (RFC 6902) of the resource's props (planned resources only)."""
    return {"patch": list(operations)}


def action_fix(kind, params=None):
    """An action of the host's closed set (`ACTION_KINDS`):
    `{"action": {"kind": KIND}}`, with `"params"` when `params` is non-empty.
    The host derives the AWS calls from the kind and the resource."""
    action = {"kind": kind}
    if params:
        action["params"] = dict(params)
    return {"action": action}


def action_applies_to(kind, resource_type):
    """Whether the host's action `kind` applies to `resource_type`."""
    return resource_type in ACTION_KINDS.get(kind, ())


def ingress_rule(protocol, from_port, to_port, cidr):
    """One ingress rule with one CIDR source, as `ec2.revoke-ingress` lists
    them: `cidr_ipv6` when `cidr` has a `:`, else `cidr_ipv4`. `protocol` is
    a name (`tcp`), a number (`6`) or `-1` (all; its ports are 0)."""
    key = "cidr_ipv6" if ":" in cidr else "cidr_ipv4"
    return {
        "protocol": str(protocol),
        "from_port": int(from_port),
        "to_port": int(to_port),
        key: cidr,
    }


def revoke_ingress(rules):
    """`ec2.revoke-ingress` with exactly `rules` (from `ingress_rule`): the
    host revokes only rules the security group has, never the group."""
    return action_fix("ec2.revoke-ingress", {"rules": list(rules)})


class Undecided(Exception):
    """Raised where a policy needs a value it cannot read here (unset,
    encrypted or unknown): `Pack.evaluate` reports an undecided finding with
    its message instead of failing the policy."""


class State(enum.Enum):
    """The state of a value in `props` (ABI v1 section 4)."""

    ABSENT = "absent"
    """No such key (or a key under a value that is not an object or list)."""
    NULL = "null"
    """A JSON null."""
    UNSET = "unset"
    """Not set in the configuration; the provider fills it in at apply."""
    ENCRYPTED = "encrypted"
    """Encrypted in this input (Pulumi ciphertext, `[secret]`)."""
    UNKNOWN = "unknown"
    """Set by an expression known only after apply."""
    KNOWN = "known"
    """A value: a string, number, boolean, list or object."""


_NO_VALUE = (State.UNSET, State.ENCRYPTED, State.UNKNOWN)


def _is_path(path):
    return isinstance(path, list) and all(
        isinstance(step, (str, int)) and not isinstance(step, bool) for step in path
    )


def _paths(resource, name):
    paths = resource.get(name)
    return [p for p in paths if _is_path(p)] if isinstance(paths, list) else []


def path_text(path):
    """A path as text: keys joined by `.`, indexes as `[0]` (`rules[0].cidr`)."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else str(step)
    return text or "props"


def reason(path, state):
    """Why the value at `path` in `state` cannot be read here, or `None` when
    it can: the message of an undecided finding."""
    where = f"`{path_text(path)}`"
    if state is State.UNSET:
        return f"{where} is not set in the configuration"
    if state is State.ENCRYPTED:
        return (
            f"{where} is encrypted in this export (run `pulumi stack export "
            "--show-secrets`, or `pulumi policy analyze`)"
        )
    if state is State.UNKNOWN:
        return f"{where} is known only after apply"
    return None


class Prop:
    """A value of a resource's `props` with its path and `State`.

    `get` navigates (a missing key is absent; under an unset, encrypted or
    unknown value everything is in the same state). `configured()` reads
    unset values as absent, for a policy that applies the provider's default;
    it sticks through `get`."""

    def __init__(self, resource, path, value, state, configured=False):
        if configured and state is State.UNSET:
            state, value = State.ABSENT, None
        self.resource = resource
        self.path = tuple(path)
        self.value = value if state is State.KNOWN else None
        self.state = state
        self.is_configured = configured

    def __repr__(self):
        return f"Prop({path_text(self.path)}: {self.state.value})"

    @property
    def is_absent(self):
        """Whether there is no value here."""
        return self.state is State.ABSENT

    @property
    def is_null(self):
        """Whether the value is a JSON null."""
        return self.state is State.NULL

    @property
    def is_unset(self):
        """Whether the configuration does not set the value (the provider does)."""
        return self.state is State.UNSET

    @property
    def is_encrypted(self):
        """Whether the value is encrypted in this input."""
        return self.state is State.ENCRYPTED

    @property
    def is_unknown(self):
        """Whether the value is known only after apply."""
        return self.state is State.UNKNOWN

    @property
    def is_known(self):
        """Whether there is a value to read (`value`)."""
        return self.state is State.KNOWN

    def configured(self):
        """This value with unset values read as absent, here and below."""
        return Prop(self.resource, self.path, self.value, self.state, True)

    def reason(self):
        """The message of an undecided finding for this value, or `None` when
        it is absent, null or known."""
        return reason(self.path, self.state)

    def get(self, step):
        """The member `step` (a key) of an object or item `step` (an index)
        of a list."""
        path = self.path + (step,)
        if self.state in _NO_VALUE:
            return Prop(self.resource, path, None, self.state, self.is_configured)
        value = self.value
        if isinstance(step, str) and isinstance(value, dict) and step in value:
            child = value[step]
        elif (
            isinstance(step, int)
            and not isinstance(step, bool)
            and isinstance(value, list)
            and 0 <= step < len(value)
        ):
            child = value[step]
        else:
            return Prop(self.resource, path, None, State.ABSENT, self.is_configured)
        return self.resource._prop(path, child, self.is_configured)

    def known(self):
        """The value; `None` when absent or null. Raises `Undecided` when it
        is unset, encrypted or unknown."""
        if self.state in _NO_VALUE:
            raise Undecided(self.reason())
        return self.value

    def string(self):
        """`known()` when it is a string, else `None`."""
        value = self.known()
        return value if isinstance(value, str) else None

    def object(self):
        """`known()` when it is an object (a dict), else `None`."""
        value = self.known()
        return value if isinstance(value, dict) else None

    def list(self):
        """`known()` when it is a list, else `None`."""
        value = self.known()
        return value if isinstance(value, list) else None


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

    @property
    def unset(self):
        """Paths of the values the configuration does not set (`[]` when absent)."""
        return _paths(self, "unset")

    @property
    def encrypted(self):
        """Paths of the values encrypted in this input (`[]` when absent)."""
        return _paths(self, "encrypted")

    def prop(self, *path):
        """The value at `path` (keys and indexes) from the root of `props`,
        as a `Prop`: `resource.prop("acl")`, `resource.prop("rules", 0)`."""
        value = self.get("props", _ABSENT)
        found = Prop(self, (), None, State.ABSENT) if value is _ABSENT else self._prop((), value)
        for step in path:
            found = found.get(step)
        return found

    def state(self, *path):
        """The `State` of the value at `path` from the root of `props`."""
        return self.prop(*path).state

    def _prop(self, path, value, configured=False):
        if value is None:
            state = State.NULL
        elif isinstance(value, str) and value == UNKNOWN:
            state = self._covering(path)
        else:
            state = State.KNOWN
        return Prop(self, path, value, state, configured)

    def _covering(self, path):
        """The state of the sentinel at `path`: that of the nearest path listed
        in `encrypted` or `unset` that is `path` or a prefix of it."""
        best, state = -1, State.UNKNOWN
        for listed, paths in ((State.ENCRYPTED, self.encrypted), (State.UNSET, self.unset)):
            for p in paths:
                if best < len(p) <= len(path) and all(_same_step(a, b) for a, b in zip(p, path)):
                    best, state = len(p), listed
        return state


_ABSENT = object()


def _same_step(a, b):
    return type(a) is type(b) and a == b


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
                for violation in _findings(lambda: found.function(resource, config)):
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


def _findings(run):
    """The result of `run()`, a policy's call, as Violations: None, a message,
    a Violation, or an iterable of them. `Undecided` raised by the policy
    (also while it yields) adds an undecided finding with its message."""
    found = []
    try:
        result = run()
        if isinstance(result, (str, Violation)):
            result = [result]
        for r in result or []:
            if r is not None:
                found.append(r if isinstance(r, Violation) else Violation(str(r)))
    except Undecided as reason:
        found.append(undecided(str(reason)))
    return found
