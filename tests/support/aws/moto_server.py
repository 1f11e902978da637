"""Run moto's server on 127.0.0.1 at a port the OS picks, for the tests.

Protocol (shared with throttle_proxy.py): prints one line `PORT <n>` to
stdout once the server accepts connections, then blocks reading stdin; at
EOF (the test process that holds the pipe exited or closed it) it stops the
server and exits. Request logs go to stderr.

Run with the moto venv's python (scripts/install-toolchains.sh moto).
"""

import os
import sys

import moto.backends
from moto.server import ThreadedMotoServer

from lifeline import announce_and_wait  # tests/support/aws/lifeline.py, beside this script


def speed_up_routing() -> None:
    """moto 5.2 lists its own package directory (listdir plus a stat per
    entry, about 175 of them) on every request to route it: half the server's
    time when seeding thousands of resources. The directory does not change
    while we run, so list it once (the function is a generator; callers only
    iterate it)."""
    listing = getattr(moto.backends, "list_of_moto_modules", None)
    if callable(listing):
        modules = tuple(listing())
        moto.backends.list_of_moto_modules = lambda: modules


def main() -> int:
    speed_up_routing()
    # port 0: the OS picks a free port; verbose=False keeps stdout to our one line.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    # start() returns once the listening socket is bound (make_server binds
    # and listens before the ready event is set), so connections queue from now.
    server.start()
    _host, port = server.get_host_and_port()
    # Some moto backends build URLs from MOTO_PORT (as moto_server does).
    os.environ["MOTO_PORT"] = str(port)
    announce_and_wait(port)
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
