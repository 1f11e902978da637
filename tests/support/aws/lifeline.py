"""The life cycle shared by moto_server.py and throttle_proxy.py.

A helper process announces its port on stdout (`PORT <n>`), then lives as
long as its parent keeps stdin open: when the test process ends, the pipe
closes and the helper stops. Nothing is left running.
"""

import os
import sys


def announce_and_wait(port: int) -> None:
    """Print `PORT <port>`, then block until stdin reaches EOF."""
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()
    # Anything printed later goes to stderr: the parent reads one line and may
    # close the pipe (or never read it again, and a full pipe would block us).
    os.dup2(2, 1)
    while sys.stdin.buffer.read(65536):
        pass
