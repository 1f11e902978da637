"""A small HTTP proxy in front of moto that injects AWS throttling errors.

    throttle_proxy.py --upstream http://127.0.0.1:PORT [--every N] [--fail-region R]...

Listens on 127.0.0.1 at a port the OS picks and forwards every request
(method, path, query, headers, body) to the upstream, relaying its answer,
except that it answers with a throttling error (HTTP 400,
`{"__type":"ThrottlingException","message":"Rate exceeded"}`):
  --every N        every Nth request (1: all, 0: never), counting all requests;
  --fail-region R  every request signed (SigV4) for region R; repeatable.
`GET /__proxy/stats` answers `{"requests": n, "throttled": m, "forwarded": k}`
and is not counted.

Protocol (shared with moto_server.py): prints one line `PORT <n>` to stdout
once listening, then blocks reading stdin; at EOF it stops and exits.
Standard library only.
"""

import argparse
import http.client
import json
import re
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lifeline import announce_and_wait  # tests/support/aws/lifeline.py, beside this script

THROTTLE_BODY = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
# Credential=AKID/DATE/REGION/SERVICE/aws4_request, in the Authorization
# header or (presigned URLs) the X-Amz-Credential query parameter.
CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/[^/,\s]+/aws4_request")
QUERY_CREDENTIAL = re.compile(r"^[^/]+/\d{8}/([^/]+)/[^/]+/aws4_request$")
# Hop-by-hop headers: never forwarded in either direction (RFC 9110 7.6.1);
# Content-Length is recomputed from the body we actually send.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
    "content-length",
}


class Stats:
    """Counters shared by the handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.throttled = 0
        self.forwarded = 0


def signed_region(headers, path: str) -> str | None:
    """The region of the request's SigV4 credential scope, if any."""
    match = CREDENTIAL.search(headers.get("Authorization", ""))
    if match:
        return match.group(1)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    for value in query.get("X-Amz-Credential", []):
        match = QUERY_CREDENTIAL.match(value)
        if match:
            return match.group(1)
    return None


def make_handler(
    upstream: urllib.parse.SplitResult, every: int, fail_regions: set[str], blank_targets: set[str], stats: Stats
):
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.1 keeps SDK connections alive; every answer carries Content-Length.
        protocol_version = "HTTP/1.1"

        def read_body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                body = bytearray()
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        # Trailer section: lines up to the empty one.
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return bytes(body)
                    body += self.rfile.read(size)
                    self.rfile.readline()  # CRLF after each chunk
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def reply(self, status: int, headers: list[tuple[str, str]], body: bytes, length: int | None = None) -> None:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def handle_any(self) -> None:
            body = self.read_body()
            if self.command == "GET" and self.path == "/__proxy/stats":
                with stats.lock:
                    doc = {"requests": stats.requests, "throttled": stats.throttled, "forwarded": stats.forwarded}
                self.reply(200, [("Content-Type", "application/json")], json.dumps(doc).encode())
                return
            with stats.lock:
                stats.requests += 1
                throttle = (every > 0 and stats.requests % every == 0) or (
                    bool(fail_regions) and signed_region(self.headers, self.path) in fail_regions
                )
                if throttle:
                    stats.throttled += 1
            target = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
            if target in blank_targets:
                # A 200 answer with no data: a broken endpoint, never an empty region.
                self.reply(200, [("Content-Type", "application/x-amz-json-1.1")], b"{}")
                return
            if throttle:
                headers = [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("x-amzn-ErrorType", "ThrottlingException"),
                    ("x-amzn-RequestId", "palisade-throttle-proxy"),
                ]
                self.reply(400, headers, THROTTLE_BODY)
                return
            self.forward(body)

        def forward(self, body: bytes) -> None:
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=120)
            try:
                # Keep the client's Host header (it is part of the SigV4 signature).
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        conn.putheader(name, value)
                if body or self.command in ("POST", "PUT", "PATCH"):
                    conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body)
                resp = conn.getresponse()
                data = resp.read()
                headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
                # A HEAD answer has no body but announces the length of the GET one.
                length = None
                if self.command == "HEAD" and resp.getheader("Content-Length") is not None:
                    length = int(resp.getheader("Content-Length"))
            except (OSError, http.client.HTTPException) as err:
                self.log_message("upstream error: %s", err)
                self.reply(502, [("Content-Type", "text/plain")], f"throttle proxy: upstream error: {err}\n".encode())
                return
            finally:
                conn.close()
            with stats.lock:
                stats.forwarded += 1
            self.reply(resp.status, headers, data, length)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = handle_any

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--every", type=int, default=0, help="throttle every Nth request (0: never)")
    parser.add_argument("--fail-region", action="append", default=[], help="throttle every request for this region")
    parser.add_argument(
        "--blank-target", action="append", default=[], help="answer this operation (e.g. GetResources) with 200 {}"
    )
    args = parser.parse_args()
    if args.every < 0:
        parser.error("--every must be >= 0")
    upstream = urllib.parse.urlsplit(args.upstream)
    if upstream.scheme != "http" or not upstream.hostname or not upstream.port:
        parser.error("--upstream must be http://HOST:PORT")

    stats = Stats()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(upstream, args.every, set(args.fail_region), set(args.blank_target), stats))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    announce_and_wait(server.server_address[1])
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
