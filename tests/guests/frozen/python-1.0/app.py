"""The component's entry module: the `pack` world of sdk/wit/palisade.wit,
implemented by delegating to the `Pack` declared in policy.py (see palisade.py).
"""

import io
import json
import sys

import wit_world
from componentize_py_types import Err
from wit_world.imports import types

from palisade import PolicyError
from policy import pack


class _Discard(io.TextIOBase):
    def write(self, text):
        return len(text)


# build.sh replaces WASI with trapping stubs: writing to stdout or stderr would
# trap, so a stray print() in a policy is discarded instead.
sys.stdout = sys.stderr = _Discard()


class WitWorld(wit_world.WitWorld):
    def describe(self) -> types.PackInfo:
        return types.PackInfo(
            name=pack.name,
            version=pack.version,
            description=pack.description,
            policies=[
                types.PolicyInfo(
                    name=p.name,
                    description=p.description,
                    severity=types.Severity[p.severity.upper()],
                    enforcement_level=types.EnforcementLevel[
                        p.enforcement_level.upper()
                    ],
                    kind=types.PolicyKind[p.kind.upper()],
                    resource_types=p.resource_types,
                    config_schema=p.schema_text(),
                    help=p.help,
                )
                for p in pack.policies.values()
            ],
        )

    def load(self, batch: str) -> None:
        try:
            pack.load(batch)
        except Exception as error:  # noqa: BLE001 (never trap: answer err)
            raise Err(_reason(error)) from None

    def evaluate(self, request: types.EvaluateRequest) -> list[types.Violation]:
        try:
            found = pack.evaluate(request.policy, request.config, request.targets)
        except Exception as error:  # noqa: BLE001 (never trap: answer err)
            raise Err(_reason(error)) from None
        return [
            types.Violation(
                resource=v.resource,
                message=v.message,
                undecided=v.undecided,
                remediation=None
                if v.remediation is None
                else json.dumps(v.remediation),
            )
            for v in found
        ]


def _reason(error: Exception) -> str:
    if isinstance(error, PolicyError):
        return str(error)
    return f"{type(error).__name__}: {error}"
