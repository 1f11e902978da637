"""The component-probe pack: reports what the component sandbox allows.

Built by build.sh with real WASI 0.2 (no --stub-wasi) for the world in
wit/probe.wit (the pack world plus wasi:sockets, which CPython cannot reach:
it has no `socket` module on WASI) and driven by tests/palisade/components.rs.
Every policy judges resources of type `probe`.

The probe policies (`*-probe`) report one violation per attempt, with the
message `LABEL: ok RESULT` or `LABEL: error EXCEPTION: TEXT`, and the test
asserts on those messages. The hostile policies (`*-bomb`) loop,
allocate without bound, raise, abort or exit; they are declared between the
probes so that every probe also runs after a fault.
"""

import json
import os
import sys
import time

from componentize_py_types import Err
from palisade import Pack
from wit_world.imports import (
    instance_network,
    ip_name_lookup,
    network,
    tcp_create_socket,
    udp_create_socket,
)

pack = Pack(
    "component-probe",
    "1.0.0",
    "Reports what the component sandbox allows (tests/palisade/components.rs).",
)


def policy(name, **metadata):
    """Declare a policy judging resources of type `probe`."""
    return pack.resource_policy(
        name=name,
        severity="low",
        enforcement_level="advisory",
        resource_types=["probe"],
        **metadata,
    )


def attempt(label, action):
    """`LABEL: ok RESULT` when `action()` returns, `LABEL: error ...` when it raises."""
    try:
        result = action()
    except Exception as error:  # noqa: BLE001 (any failure is the finding)
        return f"{label}: error {type(error).__name__}: {error}"
    return f"{label}: ok {result}"


def read(path):
    with open(path, "rb") as file:
        return repr(file.read())


def write(path):
    with open(path, "wb") as file:
        file.write(b"probe")
    return "written"


def append(path):
    with open(path, "ab") as file:
        file.write(b"probe")
    return "appended"


def listdir(path):
    return json.dumps(sorted(os.listdir(path)))


def python_socket():
    import socket

    return socket.__name__


def wasi(name, action):
    """Call a wasi:sockets function; its `err` becomes `RuntimeError(NAME: CODE)`."""
    try:
        return action()
    except Err as error:
        raise RuntimeError(f"{name}: {error.value.name}") from None


def ipv4(address, port):
    return network.IpSocketAddress_Ipv4(network.Ipv4SocketAddress(port, address))


def tcp_connect(port):
    net = instance_network.instance_network()
    family = network.IpAddressFamily.IPV4
    sock = wasi("create-tcp-socket", lambda: tcp_create_socket.create_tcp_socket(family))
    wasi("start-connect", lambda: sock.start_connect(net, ipv4((127, 0, 0, 1), port)))
    return "connecting"


def udp_bind():
    net = instance_network.instance_network()
    family = network.IpAddressFamily.IPV4
    sock = wasi("create-udp-socket", lambda: udp_create_socket.create_udp_socket(family))
    wasi("start-bind", lambda: sock.start_bind(net, ipv4((127, 0, 0, 1), 0)))
    return "bound"


def lookup(name):
    net = instance_network.instance_network()
    stream = wasi("resolve-addresses", lambda: ip_name_lookup.resolve_addresses(net, name))
    return repr(wasi("resolve-next-address", stream.resolve_next_address))


@policy("loop-bomb")
def loop_bomb(resource, config):
    """Never returns: stopped by the call deadline."""
    while True:
        pass


@policy("env-probe")
def env_probe(resource, config):
    """The environment, arguments and working directory the guest sees."""
    yield f"environ: ok {json.dumps(dict(os.environ), sort_keys=True)}"
    yield f"argv: ok {json.dumps(sys.argv)}"
    yield attempt("getcwd", os.getcwd)


@policy("memory-bomb")
def memory_bomb(resource, config):
    """Allocates without bound: stopped by the memory limit."""
    blocks = []
    while True:
        blocks.append(bytearray(4 << 20))


@policy("fs-probe")
def fs_probe(resource, config):
    """Files: the host's are out of reach; /data (when granted) is read-only."""
    yield attempt("read /etc/passwd", lambda: read("/etc/passwd"))
    yield attempt("list /", lambda: listdir("/"))
    yield attempt("list .", lambda: listdir("."))
    yield attempt("read ../etc/passwd", lambda: read("../etc/passwd"))
    yield attempt("write /tmp/probe", lambda: write("/tmp/probe"))
    yield attempt("exists /data", lambda: os.path.exists("/data"))
    yield attempt("list /data", lambda: listdir("/data"))
    yield attempt("read /data/allowed.txt", lambda: read("/data/allowed.txt"))
    yield attempt("write /data/x", lambda: write("/data/x"))
    yield attempt("truncate /data/allowed.txt", lambda: write("/data/allowed.txt"))
    yield attempt("append /data/allowed.txt", lambda: append("/data/allowed.txt"))
    yield attempt("mkdir /data/sub", lambda: os.mkdir("/data/sub"))
    yield attempt("remove /data/allowed.txt", lambda: os.remove("/data/allowed.txt"))
    yield attempt("read /data/../etc/passwd", lambda: read("/data/../etc/passwd"))
    yield attempt("read /data/escape", lambda: read("/data/escape"))
    yield attempt("read /data/escape-up", lambda: read("/data/escape-up"))


@policy("raise-bomb")
def raise_bomb(resource, config):
    """Raises an exception: the policy's own error."""
    raise ValueError("the probe raised on purpose")


@policy(
    "net-probe",
    config_schema={
        "type": "object",
        "properties": {"port": {"type": "integer", "default": 9}},
    },
)
def net_probe(resource, config):
    """Sockets: Python's module, and wasi:sockets called directly (TCP to a
    port the test listens on, a UDP bind, a name lookup)."""
    yield attempt("import socket", python_socket)
    yield attempt("tcp connect", lambda: tcp_connect(config["port"]))
    yield attempt("udp bind", udp_bind)
    yield attempt("lookup localhost", lambda: lookup("localhost"))


@policy("abort-bomb")
def abort_bomb(resource, config):
    """Writes to stdout and stderr, then aborts (a trap)."""
    os.write(1, b"probe-stdout: about to abort\n")
    os.write(2, b"probe-stderr: about to abort\n")
    os.abort()


@policy("clock-probe")
def clock_probe(resource, config):
    """Clocks and randomness are real."""
    yield f"time: ok after-2023={time.time() > 1.7e9}"
    start = time.monotonic()
    yield f"monotonic: ok {time.monotonic() >= start}"
    first, second = os.urandom(16), os.urandom(16)
    yield f"urandom: ok {len(first)} bytes, differ={first != second}"


@policy("exit-bomb")
def exit_bomb(resource, config):
    """Writes to stderr, then exits the process with status 3 (WASI 0.2's exit carries only ok or err: the host sees status 1)."""
    os.write(2, b"probe-stderr: about to exit\n")
    os._exit(3)


@policy("unhandled-bomb")
def unhandled_bomb(resource, config):
    """Raises KeyboardInterrupt, which neither palisade.py nor app.py catches."""
    raise KeyboardInterrupt("probe-unhandled: escapes the pack")


@policy("alive-probe")
def alive_probe(resource, config):
    """Declared last: runs on a fresh instance after the faults above."""
    yield "alive: ok"
