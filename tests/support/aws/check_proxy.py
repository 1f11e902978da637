"""Check throttle_proxy.py's errors with boto3, service by service, against moto.

    target/toolchains/moto-venv/bin/python tests/support/aws/check_proxy.py [--upstream http://127.0.0.1:PORT]

Without --upstream it starts its own moto (moto_server.py, beside this
script) and stops it at the end; with it, it uses that moto and resets it
(POST /moto-api/reset) first. It seeds one resource per service straight into
moto, then starts proxies in front of it and checks, with boto3 through them:
  - a denied call of S3, EC2, RDS, IAM, ELBv2, STS, KMS, ECR and EKS fails
    with the error code its SDK parses (AccessDenied, UnauthorizedOperation,
    AccessDeniedException; S3's HeadBucket, a HEAD, gets only "403") and
    the HTTP status AWS uses;
  - a call throttled twice (--throttle ACTION:2) succeeds on boto3's third
    attempt (standard retry mode), for each of those protocols and the
    Tagging API;
  - --delete-after deletes a bucket and an EKS cluster after the first list
    call, before the client gets the (older) list;
  - --every and --fail-region still throttle;
  - GET /__proxy/stats counts calls by action.
Prints one line per check and exits 1 if any failed. Standard library and
boto3 only; run it with the moto venv's python (it also runs moto_server.py).
Takes about 20 s (boto3's retry backoff).
"""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from typing import Any, Callable

import boto3
import botocore.config
import botocore.exceptions

HERE = os.path.dirname(os.path.abspath(__file__))
REGION = "eu-west-1"
SESSION = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
FAILURES: list[str] = []


class Helper:
    """A helper script of this directory (moto_server.py, throttle_proxy.py)
    with its stdin held open; stopped by closing it."""

    def __init__(self, script: str, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, script), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL if script == "moto_server.py" else None,
            cwd=HERE,
        )
        line = self.proc.stdout.readline().decode() if self.proc.stdout else ""
        if not line.startswith("PORT "):
            self.proc.kill()
            raise SystemExit(f"{script} did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/__proxy/stats", timeout=30) as resp:
            return json.load(resp)

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def client(service: str, endpoint: str, attempts: int = 1, region: str = REGION) -> Any:
    config = botocore.config.Config(retries={"mode": "standard", "max_attempts": attempts})
    return SESSION.client(service, region_name=region, endpoint_url=endpoint, config=config)


def check(name: str, ok: bool, detail: str) -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not ok:
        FAILURES.append(name)


def error_of(call: Callable[[], Any]) -> tuple[str, int]:
    """(error code, HTTP status) of a call expected to fail."""
    try:
        call()
    except botocore.exceptions.ClientError as err:
        return err.response["Error"].get("Code", ""), err.response["ResponseMetadata"].get("HTTPStatusCode", 0)
    return "(no error)", 200


def seed(moto: str) -> dict[str, str]:
    """One resource per service, straight into moto; their ids."""
    s3 = client("s3", moto)
    for bucket in ("check-bucket", "check-gone"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    ec2 = client("ec2", moto)
    ec2.create_security_group(GroupName="check-sg", Description="check")
    ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = []
    for i, zone in enumerate("ab"):
        made = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")
        subnets.append(made["Subnet"]["SubnetId"])
    client("rds", moto).create_db_instance(
        DBInstanceIdentifier="check-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="palisade",
        MasterUserPassword="palisade-test-1",
    )
    client("iam", moto).create_user(UserName="check-user")
    elb = client("elbv2", moto)
    lb = elb.create_load_balancer(Name="check-lb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_target_group(Name="check-tg", Protocol="HTTP", Port=80, VpcId=vpc)
    key = client("kms", moto).create_key(Description="check", Tags=[{"TagKey": "k", "TagValue": "v"}])["KeyMetadata"]
    client("ecr", moto).create_repository(repositoryName="check-repo")
    eks = client("eks", moto)
    for name in ("check-eks", "check-eks-gone"):
        eks.create_cluster(
            name=name, roleArn="arn:aws:iam::123456789012:role/check", resourcesVpcConfig={"subnetIds": subnets}
        )
    return {"lb": lb, "key": key["KeyId"]}


# (service, denied action, call, expected code, expected status).
def denials(ids: dict[str, str]) -> list[tuple[str, str, Callable[[Any], Any], str, int]]:
    return [
        ("s3", "GetBucketAcl", lambda c: c.get_bucket_acl(Bucket="check-bucket"), "AccessDenied", 403),
        ("s3", "HeadBucket", lambda c: c.head_bucket(Bucket="check-bucket"), "403", 403),
        ("ec2", "DescribeSecurityGroups", lambda c: c.describe_security_groups(), "UnauthorizedOperation", 403),
        ("rds", "DescribeDBInstances", lambda c: c.describe_db_instances(), "AccessDenied", 403),
        ("iam", "ListUsers", lambda c: c.list_users(), "AccessDenied", 403),
        ("elbv2", "DescribeLoadBalancers", lambda c: c.describe_load_balancers(), "AccessDenied", 403),
        ("sts", "GetCallerIdentity", lambda c: c.get_caller_identity(), "AccessDenied", 403),
        ("kms", "ListKeys", lambda c: c.list_keys(), "AccessDeniedException", 400),
        ("ecr", "DescribeRepositories", lambda c: c.describe_repositories(), "AccessDeniedException", 400),
        ("eks", "DescribeCluster", lambda c: c.describe_cluster(name="check-eks"), "AccessDeniedException", 403),
    ]


# (service, throttled action, call).
def throttles(ids: dict[str, str]) -> list[tuple[str, str, Callable[[Any], Any]]]:
    return [
        ("s3", "GetBucketLocation", lambda c: c.get_bucket_location(Bucket="check-bucket")),
        ("ec2", "DescribeVolumes", lambda c: c.describe_volumes()),
        ("rds", "DescribeDBClusters", lambda c: c.describe_db_clusters()),
        ("iam", "ListRoles", lambda c: c.list_roles()),
        ("elbv2", "DescribeTargetGroups", lambda c: c.describe_target_groups()),
        ("kms", "DescribeKey", lambda c: c.describe_key(KeyId=ids["key"])),
        ("ecr", "ListImages", lambda c: c.list_images(repositoryName="check-repo")),
        ("eks", "ListClusters", lambda c: c.list_clusters()),
        ("resourcegroupstaggingapi", "GetResources", lambda c: c.get_resources()),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", help="a running moto (reset first); default: start one")
    args = parser.parse_args()
    helpers: list[Helper] = []
    try:
        if args.upstream:
            moto = args.upstream.rstrip("/")
            urllib.request.urlopen(urllib.request.Request(f"{moto}/moto-api/reset", method="POST"), timeout=30).close()
        else:
            helpers.append(Helper("moto_server.py", []))
            moto = helpers[-1].url
        ids = seed(moto)
        denied, throttled = denials(ids), throttles(ids)
        proxy_args = ["--upstream", moto]
        for _, action, *_ in denied:
            proxy_args += ["--deny", action]
        for _, action, _ in throttled:
            proxy_args += ["--throttle", f"{action}:2"]
        helpers.append(Helper("throttle_proxy.py", proxy_args))
        proxy = helpers[-1]

        for service, action, call, code, status in denied:
            got = error_of(lambda: call(client(service, proxy.url, attempts=3)))
            check(f"deny {service} {action}", got == (code, status), f"got {got}, expected {(code, status)}")

        for service, action, call in throttled:
            started = time.monotonic()
            try:
                meta = call(client(service, proxy.url, attempts=3))["ResponseMetadata"]
                retries = meta.get("RetryAttempts")
                ok = meta.get("HTTPStatusCode") == 200 and retries == 2
                detail = f"HTTP {meta.get('HTTPStatusCode')} after {retries} retries"
            except botocore.exceptions.ClientError as err:
                ok, detail = False, f"failed: {err}"
            check(f"throttle {service} {action}:2", ok, f"{detail} ({time.monotonic() - started:.1f} s)")

        stats = proxy.stats()
        actions = stats["actions"]
        expected_counts = {action: 3 for _, action, _ in throttled}
        expected_counts.update({action: 1 for _, action, *_ in denied})
        wrong = {a: (actions.get(a), n) for a, n in expected_counts.items() if actions.get(a) != n}
        check(
            "stats actions",
            not wrong,
            f"(got, expected) where they differ: {wrong}" if wrong else "calls counted by action",
        )
        check("stats denied", stats["denied"] == len(denied), f"{stats['denied']} denied")
        check(
            "stats throttled",
            stats["throttled"] == 2 * len(throttled),
            f"{stats['throttled']} throttled",
        )
        proxy.stop()
        helpers.pop()

        # --delete-after: the list shows the resource (answered before the delete), which is gone after.
        deleting = ["--delete-after", "ListBuckets=DELETE:/check-gone"]
        deleting += ["--delete-after", "ListClusters=DELETE:/clusters/check-eks-gone"]
        helpers.append(Helper("throttle_proxy.py", ["--upstream", moto, *deleting]))
        proxy = helpers[-1]
        s3 = client("s3", proxy.url)
        listed = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        gone = error_of(lambda: client("s3", moto).head_bucket(Bucket="check-gone"))
        check("delete-after ListBuckets", "check-gone" in listed and gone[1] == 404, f"listed {listed}, then {gone}")
        eks = client("eks", proxy.url)
        clusters = eks.list_clusters()["clusters"]
        gone = error_of(lambda: client("eks", moto).describe_cluster(name="check-eks-gone"))
        check(
            "delete-after ListClusters",
            "check-eks-gone" in clusters and gone[0] == "ResourceNotFoundException",
            f"listed {clusters}, then {gone}",
        )
        stats = proxy.stats()
        check(
            "stats delete_after",
            stats["delete_after"] == {"ListBuckets": 204, "ListClusters": 200},
            f"{stats['delete_after']}",
        )
        proxy.stop()
        helpers.pop()

        # --every and --fail-region: throttled in each protocol's format, codes as boto3 sees them.
        helpers.append(Helper("throttle_proxy.py", ["--upstream", moto, "--every", "1"]))
        every = helpers[-1]
        codes = {
            "resourcegroupstaggingapi": ("ThrottlingException", 400, lambda c: c.get_resources()),
            "s3": ("SlowDown", 503, lambda c: c.list_buckets()),
            "ec2": ("RequestLimitExceeded", 503, lambda c: c.describe_volumes()),
            "iam": ("Throttling", 400, lambda c: c.list_users()),
            "eks": ("ThrottlingException", 429, lambda c: c.list_clusters()),
        }
        for service, (code, status, call) in codes.items():
            got = error_of(lambda: call(client(service, every.url)))
            check(f"--every 1 {service}", got == (code, status), f"got {got}, expected {(code, status)}")
        every.stop()
        helpers.pop()
        helpers.append(Helper("throttle_proxy.py", ["--upstream", moto, "--fail-region", "us-east-1"]))
        failing = helpers[-1]
        got = error_of(lambda: client("kms", failing.url, region="us-east-1").list_keys())
        check("--fail-region us-east-1", got == ("ThrottlingException", 400), f"us-east-1: {got}")
        fine = client("kms", failing.url).list_keys()["ResponseMetadata"]["HTTPStatusCode"]
        check("--fail-region other region", fine == 200, f"eu-west-1: HTTP {fine}")
    finally:
        for helper in reversed(helpers):
            helper.stop()
    print(f"{len(FAILURES)} failed" if FAILURES else "all checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
