"""A small HTTP proxy in front of moto that injects AWS errors, by call.

    throttle_proxy.py --upstream http://127.0.0.1:PORT [--every N] [--fail-region R]...
                      [--blank-target OP]... [--deny ACTION]... [--throttle ACTION:N]...
                      [--delete-after ACTION=METHOD:PATH]...

Listens on 127.0.0.1 at a port the OS picks and forwards every request
(method, path, query, headers, body) to the upstream, relaying its answer,
except:
  --every N        every Nth request (1: all, 0: never), counting all requests,
                   is throttled;
  --fail-region R  every request signed (SigV4) for region R is throttled; repeatable;
  --blank-target OP  operation OP (X-Amz-Target's last part, e.g. GetResources)
                   is answered `200 {}`: a broken endpoint; repeatable;
  --deny ACTION    every call of ACTION is refused (access denied); repeatable;
  --throttle ACTION:N  the first N calls of ACTION are throttled, later ones
                   forwarded; repeatable;
  --delete-after ACTION=METHOD:PATH  once the first forwarded call of ACTION
                   has its answer from the upstream, and before the client
                   gets it, the proxy sends `METHOD PATH` (no body) to the
                   upstream: e.g. `ListBuckets=DELETE:/my-bucket` deletes a
                   bucket between the list and the detail calls. The request
                   is not validly signed (moto checks no signature): it carries
                   the triggering call's Authorization header, whose SigV4
                   credential scope routes it to the same service and region
                   in moto. Repeatable (one per ACTION).
A denied call wins over a throttled one, a throttled one over a blank one.

Calls are recognised by protocol, from the SigV4 credential scope's service
(Authorization `Credential=AKID/DATE/REGION/SERVICE/aws4_request`) and the
request's shape:
  - JSON (KMS, ECR, the Tagging API, ...): X-Amz-Target, its part after the last '.';
  - query (EC2; RDS, IAM, ELBv2, STS, ...): `Action=` in a form-encoded body
    or in the query string;
  - S3, path-style only: the `x-id` query parameter if any (the Rust SDK
    sends it for some operations, e.g. GetObject); `GET /` ListBuckets;
    `GET|PUT|DELETE /BUCKET?SUB` Get|Put|Delete + the subresource's name (`?acl` GetBucketAcl, `?location`
    GetBucketLocation, `?encryption`, `?publicAccessBlock`
    GetPublicAccessBlock, `?policyStatus`, `?policy`, `?versioning`,
    `?logging`, `?tagging`, `?ownershipControls`, `?lifecycle`
    GetBucketLifecycleConfiguration, ...); `PUT /BUCKET` CreateBucket,
    `DELETE /BUCKET` DeleteBucket, `HEAD /BUCKET` HeadBucket, `GET /BUCKET`
    ListObjectsV2 (`list-type=2`) or ListObjects; `/BUCKET/KEY`: GetObject,
    PutObject, DeleteObject, HeadObject;
  - EKS (REST-JSON): `GET /clusters` ListClusters, `GET /clusters/NAME`
    DescribeCluster, `POST /clusters` CreateCluster, `DELETE /clusters/NAME`
    DeleteCluster, node groups, add-ons, Fargate profiles, `/tags/ARN`;
Anything else is "?".

Errors are in each protocol's own format (as AWS sends them; the SDKs parse
their code):
  protocol     access denied                               throttling
  S3           403 <Error><Code>AccessDenied                503 SlowDown
  EC2          403 <Response><Errors><Error><Code>          503 RequestLimitExceeded
                   UnauthorizedOperation
  query        403 <ErrorResponse><Error><Type>Sender        400 Throttling
                   <Code>AccessDenied
  JSON         400 {"__type":"AccessDeniedException"}       400 ThrottlingException
  EKS          403 x-amzn-ErrorType: AccessDeniedException  429 ThrottlingException
(JSON and EKS errors also carry `x-amzn-ErrorType`; "?" calls are throttled as
JSON.) A HEAD request's error has no body: the SDKs see only the status (S3's
HeadBucket: code "403" / "503").

`GET /__proxy/stats` answers `{"requests": n, "throttled": m, "forwarded": k,
"denied": d, "actions": {"ACTION": calls, ..., "?": calls}, "delete_after":
{"ACTION": upstream status, ...}}` and is not counted.

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
from typing import Any

from lifeline import announce_and_wait  # tests/support/aws/lifeline.py, beside this script

THROTTLE_BODY = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
# Credential=AKID/DATE/REGION/SERVICE/aws4_request, in the Authorization
# header or (presigned URLs) the X-Amz-Credential query parameter.
CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
QUERY_CREDENTIAL = re.compile(r"^[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request$")
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
ACCOUNT = "123456789012"  # moto's default account, in access-denied messages
EC2_API_VERSION = "2016-11-15"

# S3 bucket subresources: query key -> the operation's noun (after Get/Put/Delete).
S3_SUBRESOURCES = {
    "acl": "BucketAcl",
    "location": "BucketLocation",
    "encryption": "BucketEncryption",
    "publicAccessBlock": "PublicAccessBlock",
    "policyStatus": "BucketPolicyStatus",
    "policy": "BucketPolicy",
    "versioning": "BucketVersioning",
    "logging": "BucketLogging",
    "tagging": "BucketTagging",
    "ownershipControls": "BucketOwnershipControls",
    "lifecycle": "BucketLifecycleConfiguration",
    "cors": "BucketCors",
    "website": "BucketWebsite",
    "replication": "BucketReplication",
    "notification": "BucketNotificationConfiguration",
    "object-lock": "ObjectLockConfiguration",
    "accelerate": "BucketAccelerateConfiguration",
    "requestPayment": "BucketRequestPayment",
    "analytics": "BucketAnalyticsConfiguration",
    "inventory": "BucketInventoryConfiguration",
    "metrics": "BucketMetricsConfiguration",
    "intelligent-tiering": "BucketIntelligentTieringConfiguration",
}
S3_BUCKET_LISTS = {"versions": "ListObjectVersions", "uploads": "ListMultipartUploads"}
S3_OBJECT_SUBRESOURCES = {
    "tagging": "ObjectTagging",
    "acl": "ObjectAcl",
    "retention": "ObjectRetention",
    "legal-hold": "ObjectLegalHold",
}
S3_VERBS = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}
# EKS REST paths: (method, path pattern) -> operation; checked in order.
EKS_ROUTES = [
    ("GET", r"/clusters", "ListClusters"),
    ("POST", r"/clusters", "CreateCluster"),
    ("GET", r"/clusters/[^/]+", "DescribeCluster"),
    ("DELETE", r"/clusters/[^/]+", "DeleteCluster"),
    ("POST", r"/clusters/[^/]+/update-config", "UpdateClusterConfig"),
    ("POST", r"/clusters/[^/]+/updates", "UpdateClusterVersion"),
    ("GET", r"/clusters/[^/]+/updates", "ListUpdates"),
    ("GET", r"/clusters/[^/]+/updates/[^/]+", "DescribeUpdate"),
    ("GET", r"/clusters/[^/]+/node-groups", "ListNodegroups"),
    ("POST", r"/clusters/[^/]+/node-groups", "CreateNodegroup"),
    ("GET", r"/clusters/[^/]+/node-groups/[^/]+", "DescribeNodegroup"),
    ("DELETE", r"/clusters/[^/]+/node-groups/[^/]+", "DeleteNodegroup"),
    ("GET", r"/clusters/[^/]+/addons", "ListAddons"),
    ("GET", r"/clusters/[^/]+/addons/[^/]+", "DescribeAddon"),
    ("GET", r"/clusters/[^/]+/fargate-profiles", "ListFargateProfiles"),
    ("GET", r"/clusters/[^/]+/fargate-profiles/[^/]+", "DescribeFargateProfile"),
    ("GET", r"/clusters/[^/]+/access-entries", "ListAccessEntries"),
    ("GET", r"/tags/.+", "ListTagsForResource"),
    ("POST", r"/tags/.+", "TagResource"),
    ("DELETE", r"/tags/.+", "UntagResource"),
]
# Services whose query calls are not EC2's: the IAM action prefix of a credential scope's service.
IAM_PREFIXES = {"tagging": "tag", "elasticloadbalancing": "elasticloadbalancing", "monitoring": "cloudwatch"}


class Call:
    """What a request is: its SigV4 service and region, protocol ("s3",
    "ec2", "query", "json", "rest-json" or "?") and action ("?" if unknown)."""

    def __init__(self, service: str | None, region: str | None, protocol: str, action: str, json_type: str) -> None:
        self.service = service
        self.region = region
        self.protocol = protocol
        self.action = action
        self.json_type = json_type  # the JSON protocol's Content-Type


def signed_scope(headers: Any, path: str) -> tuple[str | None, str | None]:
    """The (region, service) of the request's SigV4 credential scope, if any."""
    match = CREDENTIAL.search(headers.get("Authorization", ""))
    if match:
        return match.group(1), match.group(2)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    for value in query.get("X-Amz-Credential", []):
        match = QUERY_CREDENTIAL.match(value)
        if match:
            return match.group(1), match.group(2)
    return None, None


def s3_action(method: str, path: str, query: dict[str, list[str]], headers: Any) -> str:
    """The S3 operation of a path-style request (the Rust SDK names some in `x-id`)."""
    named = (query.get("x-id") or [""])[0]
    if named:
        return named
    parts = urllib.parse.unquote(path).lstrip("/").split("/", 1)
    bucket, key = parts[0], (parts[1] if len(parts) > 1 else "")
    if not bucket:
        return "ListBuckets" if method == "GET" else "?"
    if key:
        for sub, noun in S3_OBJECT_SUBRESOURCES.items():
            if sub in query and method in S3_VERBS:
                return S3_VERBS[method] + noun
        if method == "PUT" and headers.get("x-amz-copy-source"):
            return "CopyObject"
        if "uploads" in query and method == "POST":
            return "CreateMultipartUpload"
        if "uploadId" in query:
            return {
                "PUT": "UploadPart",
                "POST": "CompleteMultipartUpload",
                "DELETE": "AbortMultipartUpload",
                "GET": "ListParts",
            }.get(method, "?")
        return {"GET": "GetObject", "PUT": "PutObject", "DELETE": "DeleteObject", "HEAD": "HeadObject"}.get(method, "?")
    if method == "POST" and "delete" in query:
        return "DeleteObjects"
    for sub, noun in S3_SUBRESOURCES.items():
        if sub in query:
            return S3_VERBS[method] + noun if method in S3_VERBS else "?"
    if method == "GET":
        for sub, action in S3_BUCKET_LISTS.items():
            if sub in query:
                return action
        return "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects"
    return {"PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket"}.get(method, "?")


def eks_action(method: str, path: str) -> str:
    """The EKS operation of a REST request."""
    path = path.rstrip("/") or "/"
    for verb, pattern, action in EKS_ROUTES:
        if verb == method and re.fullmatch(pattern, path):
            return action
    return "?"


def form_params(headers: Any, body: bytes, query: dict[str, list[str]]) -> dict[str, list[str]]:
    """The query protocol's parameters: a form-encoded body's, else the query string's."""
    if body and "x-www-form-urlencoded" in headers.get("Content-Type", ""):
        return urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return query


def classify(method: str, path: str, headers: Any, body: bytes) -> Call:
    """What the request is (see the module's docstring)."""
    region, service = signed_scope(headers, path)
    split = urllib.parse.urlsplit(path)
    query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
    content_type = headers.get("Content-Type", "")
    json_type = "application/x-amz-json-1.0" if "x-amz-json-1.0" in content_type else "application/x-amz-json-1.1"
    target = headers.get("X-Amz-Target")
    if target:
        return Call(service, region, "json", target.rsplit(".", 1)[-1], json_type)
    if service == "s3":
        return Call(service, region, "s3", s3_action(method, split.path, query, headers), json_type)
    if service == "eks":
        return Call(service, region, "rest-json", eks_action(method, split.path), json_type)
    params = form_params(headers, body, query)
    action = (params.get("Action") or [""])[0]
    if action:
        is_ec2 = service == "ec2" or (service is None and (params.get("Version") or [""])[0] == EC2_API_VERSION)
        return Call(service, region, "ec2" if is_ec2 else "query", action, json_type)
    return Call(service, region, "?", "?", json_type)


def xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_answer(call: Call, kind: str, request_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """The status, headers and body of an access-denied (`kind` "deny") or
    throttling ("throttle") error in the call's protocol."""
    deny = kind == "deny"
    prefix = IAM_PREFIXES.get(call.service or "", call.service or "aws")
    denied = f"User: arn:aws:iam::{ACCOUNT}:user/palisade-test is not authorized to perform: {prefix}:{call.action}"
    headers = [("x-amzn-RequestId", request_id)]
    if call.protocol == "s3":
        code, message = ("AccessDenied", "Access Denied") if deny else ("SlowDown", "Please reduce your request rate.")
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        )
        return (
            (403 if deny else 503),
            [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)],
            body.encode(),
        )
    if call.protocol == "ec2":
        code, message = (
            ("UnauthorizedOperation", "You are not authorized to perform this operation.")
            if deny
            else ("RequestLimitExceeded", "Request limit exceeded.")
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        return (403 if deny else 503), [("Content-Type", "text/xml"), *headers], body.encode()
    if call.protocol == "query":
        code, message = ("AccessDenied", denied) if deny else ("Throttling", "Rate exceeded")
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{xml(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return (403 if deny else 400), [("Content-Type", "text/xml"), *headers], body.encode()
    if call.protocol == "rest-json":
        code, message = ("AccessDeniedException", denied) if deny else ("ThrottlingException", "Rate exceeded")
        body = json.dumps({"message": message}).encode()
        return (
            (403 if deny else 429),
            [("Content-Type", "application/json"), ("x-amzn-ErrorType", code), *headers],
            body,
        )
    # JSON protocols, and "?" calls.
    if deny:
        body = json.dumps({"__type": "AccessDeniedException", "message": denied}).encode()
        return 400, [("Content-Type", call.json_type), ("x-amzn-ErrorType", "AccessDeniedException"), *headers], body
    return 400, [("Content-Type", call.json_type), ("x-amzn-ErrorType", "ThrottlingException"), *headers], THROTTLE_BODY


class Options:
    """What the proxy does besides forwarding (see the module's docstring)."""

    def __init__(
        self,
        every: int,
        fail_regions: set[str],
        blank_targets: set[str],
        deny: set[str],
        throttle: dict[str, int],
        delete_after: dict[str, tuple[str, str]],
    ) -> None:
        self.every = every
        self.fail_regions = fail_regions
        self.blank_targets = blank_targets
        self.deny = deny
        self.throttle = throttle
        self.delete_after = delete_after


class Stats:
    """Counters shared by the handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.throttled = 0
        self.forwarded = 0
        self.denied = 0
        self.actions: dict[str, int] = {}
        # ACTION -> the upstream's status for its --delete-after request (once sent).
        self.delete_after: dict[str, int] = {}

    def doc(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": self.requests,
                "throttled": self.throttled,
                "forwarded": self.forwarded,
                "denied": self.denied,
                "actions": dict(self.actions),
                "delete_after": dict(self.delete_after),
            }


def make_handler(upstream: urllib.parse.SplitResult, options: Options, stats: Stats):
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
                self.reply(200, [("Content-Type", "application/json")], json.dumps(stats.doc()).encode())
                return
            call = classify(self.command, self.path, self.headers, body)
            with stats.lock:
                stats.requests += 1
                number = stats.requests
                calls = stats.actions.get(call.action, 0) + 1
                stats.actions[call.action] = calls
                answer = None
                if call.action in options.deny:
                    answer = "deny"
                    stats.denied += 1
                elif (
                    (options.every > 0 and number % options.every == 0)
                    or (bool(options.fail_regions) and call.region in options.fail_regions)
                    or calls <= options.throttle.get(call.action, 0)
                ):
                    answer = "throttle"
                    stats.throttled += 1
            if answer:
                self.reply(*error_answer(call, answer, f"palisade-proxy-{number}"))
                return
            if call.protocol == "json" and call.action in options.blank_targets:
                # A 200 answer with no data: a broken endpoint, never an empty region.
                self.reply(200, [("Content-Type", call.json_type)], b"{}")
                return
            self.forward(body, call)

        def upstream_request(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes):
            """Send one request to the upstream: (status, headers, body, HEAD's announced length)."""
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=120)
            try:
                conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    conn.putheader(name, value)
                if body or method in ("POST", "PUT", "PATCH"):
                    conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body)
                resp = conn.getresponse()
                data = resp.read()
                out = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
                # A HEAD answer has no body but announces the length of the GET one.
                length = None
                if method == "HEAD" and resp.getheader("Content-Length") is not None:
                    length = int(resp.getheader("Content-Length"))
                return resp.status, out, data, length
            finally:
                conn.close()

        def delete_after(self, call: Call) -> None:
            """The --delete-after request of `call`'s action, the first time."""
            side = options.delete_after.get(call.action)
            if side is None:
                return
            with stats.lock:
                if call.action in stats.delete_after:
                    return
                stats.delete_after[call.action] = 0  # claimed: sent once
            method, path = side
            headers = [("Host", upstream.netloc)]
            for name in ("Authorization", "X-Amz-Date"):
                if self.headers.get(name):
                    headers.append((name, self.headers[name]))
            try:
                status = self.upstream_request(method, path, headers, b"")[0]
            except (OSError, http.client.HTTPException) as err:
                self.log_message("--delete-after %s=%s:%s: upstream error: %s", call.action, method, path, err)
                status = 502
            self.log_message("--delete-after %s=%s:%s: HTTP %s", call.action, method, path, status)
            with stats.lock:
                stats.delete_after[call.action] = status

        def forward(self, body: bytes, call: Call) -> None:
            # Keep the client's Host header (it is part of the SigV4 signature).
            headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
            try:
                status, out, data, length = self.upstream_request(self.command, self.path, headers, body)
            except (OSError, http.client.HTTPException) as err:
                self.log_message("upstream error: %s", err)
                self.reply(502, [("Content-Type", "text/plain")], f"throttle proxy: upstream error: {err}\n".encode())
                return
            with stats.lock:
                stats.forwarded += 1
            self.delete_after(call)
            self.reply(status, out, data, length)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = handle_any

    return Handler


def parse_throttle(value: str) -> tuple[str, int]:
    action, sep, count = value.rpartition(":")
    if not sep or not action or not count.isdigit():
        raise argparse.ArgumentTypeError(f"--throttle {value!r}: expected ACTION:N (e.g. GetBucketAcl:2)")
    return action, int(count)


def parse_delete_after(value: str) -> tuple[str, tuple[str, str]]:
    action, sep, request = value.partition("=")
    method, sep2, path = request.partition(":")
    if not sep or not sep2 or not action or not method.isalpha() or not path.startswith("/"):
        raise argparse.ArgumentTypeError(
            f"--delete-after {value!r}: expected ACTION=METHOD:PATH (e.g. ListBuckets=DELETE:/my-bucket)"
        )
    return action, (method.upper(), path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--every", type=int, default=0, help="throttle every Nth request (0: never)")
    parser.add_argument("--fail-region", action="append", default=[], help="throttle every request for this region")
    parser.add_argument(
        "--blank-target", action="append", default=[], help="answer this operation (e.g. GetResources) with 200 {}"
    )
    parser.add_argument("--deny", action="append", default=[], help="answer this action with access denied")
    parser.add_argument(
        "--throttle", action="append", default=[], type=parse_throttle, help="ACTION:N: throttle its first N calls"
    )
    parser.add_argument(
        "--delete-after",
        action="append",
        default=[],
        type=parse_delete_after,
        help="ACTION=METHOD:PATH: send METHOD PATH upstream after the first call of ACTION",
    )
    args = parser.parse_args()
    if args.every < 0:
        parser.error("--every must be >= 0")
    upstream = urllib.parse.urlsplit(args.upstream)
    if upstream.scheme != "http" or not upstream.hostname or not upstream.port:
        parser.error("--upstream must be http://HOST:PORT")
    delete_after = dict(args.delete_after)
    if len(delete_after) != len(args.delete_after):
        parser.error("--delete-after: one request per action")

    options = Options(
        every=args.every,
        fail_regions=set(args.fail_region),
        blank_targets=set(args.blank_target),
        deny=set(args.deny),
        throttle=dict(args.throttle),
        delete_after=delete_after,
    )
    stats = Stats()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(upstream, options, stats))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    announce_and_wait(server.server_address[1])
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
