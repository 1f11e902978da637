"""Seed moto with AWS resources for the tests, with boto3.

    AWS_ENDPOINT_URL=http://127.0.0.1:PORT seed.py SPEC.json    (or `-`: stdin)

SPEC is a JSON document:
    {"resources": [{"kind": "s3_bucket", "region": "eu-west-1", "name": "b",
                    "tags": {"k": "v"}, "count": 1, "config": {"acl": "public-read"}}, ...],
     "tag":    [{"arn": "...", "region": "...", "tags": {"k": "v"}}, ...],
     "untag":  [{"arn": "...", "region": "...", "keys": ["k"]}, ...],
     "delete": [{"kind": "s3_bucket", "region": "...", "name": "b"}, ...]}
all optional, done in that order. `count` > 1 creates NAME-0 ..
NAME-(count-1); EC2 resources get the name as their `Name` tag. `tag` and
`untag` use the Resource Groups Tagging API; for the sqs and ssm ARNs that
moto's refuses ("not yet supported"), the service's own API; any other
refusal fails the run. `delete` entries name the resource by `name` (as
seeded) or `id` (what the output calls `id`); kinds: see DELETERS.

Kinds and their `config` keys (unknown keys are refused; an absent key
leaves moto's default unless said otherwise):
  s3_bucket         acl ("private" | "public-read" | "public-read-write"),
                    encryption ("AES256" | "aws:kms"), versioning (bool; false:
                    never enabled), public_access_block (bool; true: the four
                    flags true, false: none set), logging_target (a bucket
                    name, seeded in this spec or before, same region: it gets
                    the LogDelivery WRITE and READ_ACP grants), policy (a JSON
                    policy; "${bucket}" in its strings is the bucket's name)
  ec2_security_group ingress: [{"protocol": "tcp"|"udp"|"icmp"|"-1", "from": int,
                    "to": int, "cidr": "0.0.0.0/0", "ipv6": "::/0", "self": bool,
                    "description": str}] (one of cidr, ipv6, self; from/to
                    required unless protocol "-1")
  ec2_volume        encrypted (bool), size (GiB, default 1), type ("gp3", ..)
  ec2_instance      public_ip (bool: in a public or a private subnet of the
                    helper network; absent: the default VPC, which maps a
                    public IP), root_encrypted (bool), imdsv2 (bool:
                    HttpTokens required or optional)
  rds_instance      public (bool, default false), encrypted, backup_retention
                    (int), deletion_protection; postgres, db.t3.micro, 20 GiB
  rds_cluster       encrypted, backup_retention, deletion_protection;
                    aurora-postgresql
  kms_key           rotation (bool), spec ("SYMMETRIC_DEFAULT", "RSA_2048",
                    ..), usage (default from the spec)
  ecr_repository    immutable (bool), scan_on_push (bool)
  eks_cluster       public_endpoint (bool, default true), private_endpoint
                    (bool, default false), logging (log types enabled; the
                    others are listed disabled)
  lb                internal (bool, default false); an application load
                    balancer in the helper network's two AZs
  lb_listener       load_balancer (required: an `lb` name), protocol ("HTTP" |
                    "HTTPS", default HTTP), port (default 80 / 443),
                    redirect_to_https (bool: a redirect to HTTPS 443, else a
                    forward to a target group made for the LB), ssl_policy.
                    HTTPS uses an ACM certificate imported per region. Listener
                    i of a `count` goes to LB `LB-(i % M)` when the `lb` entry
                    has a count M > 1 (else to LB), port `port + i // M`.
  iam_user          inline_policy (a policy), attached_policies (ARNs),
                    access_key (bool)
  iam_role          assume_role_policy (default: ec2.amazonaws.com may assume),
                    inline_policy, attached_policies
  iam_password_policy minimum_length, require_symbols, require_numbers,
                    require_uppercase, require_lowercase, allow_users_to_change,
                    max_age, reuse_prevention, hard_expiry (name ignored; no
                    tags; count 1)
  others (sqs_queue, sns_topic, ..., lambda_function, ec2_vpc, ec2_subnet): no config.
IAM kinds are global: `region` only picks the client. AWS managed policy ARNs
(arn:aws:iam::aws:policy/...) exist only for the few that moto_server.py
loads.

Shared helpers, untagged, made when first needed and found again by later
runs: per region one "helper network" (VPC 10.201.0.0/16 with an internet
gateway, a public and a private subnet in each of two AZs: instances, load
balancers, EKS) and one ACM certificate; one target group per load
balancer; one IAM role for EKS (palisade-seed-eks) and one for Lambda
(palisade-seed-lambda). ec2_subnet entries go into another helper VPC
(10.200.0.0/16, one per run). Every VPC has its `default` security group.
Encrypted EBS volumes make moto create the region's aws/ebs KMS key (listed
by ListKeys).

Prints one JSON document:
    {"resources": [{"kind", "region", "name", "arn", "id", "tags"}, ...]}
in spec order, `id` being what Terraform state records as the resource's id
(bucket name, sg-, vol-, i- ids, RDS identifiers, KMS key id, ECR repository
name, EKS cluster name, load balancer and listener ARNs, IAM user and role
names, "iam-account-password-policy"); `arn` is null for the password policy.
Errors: a message on stderr and exit code 1. Credentials are `testing`.
Run with the moto venv's python (scripts/install-toolchains.sh moto).
"""

import datetime
import hashlib
import io
import ipaddress
import json
import os
import sys
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import boto3
import botocore.config
import botocore.exceptions

WORKERS = 8  # moto is the bottleneck: more threads do not help on 2 cores
CONFIG = botocore.config.Config(
    max_pool_connections=WORKERS * 2,
    retries={"max_attempts": 2, "mode": "standard"},
    connect_timeout=10,
    read_timeout=120,
)
ACCOUNT = "123456789012"  # moto's default account
AMI = "ami-12c6146b"  # moto's example AMI, known in every region
ROOT_DEVICE = "/dev/sda1"  # its root device
PASSWORD = "palisade-test-1"  # RDS master password
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
EKS_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
INLINE_POLICY_NAME = "palisade-inline"
PASSWORD_POLICY_ID = "iam-account-password-policy"


class SpecError(Exception):
    pass


class Clients:
    """One boto3 client per (service, region), shared by the worker threads
    (clients are thread-safe; creating them is the slow part)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
        self.lock = threading.RLock()  # memo()'s make() may create clients
        self.clients: dict[tuple[str, str], Any] = {}
        self.once: dict[tuple[str, str], Any] = {}
        # Work that needs every resource of the first phase (S3 logging).
        self.deferred: list[tuple[str, Callable[[], None]]] = []

    def __call__(self, service: str, region: str) -> Any:
        with self.lock:
            key = (service, region)
            if key not in self.clients:
                self.clients[key] = self.session.client(
                    service, region_name=region, endpoint_url=self.endpoint, config=CONFIG
                )
            return self.clients[key]

    def memo(self, key: tuple[str, str], make: Callable[[], Any]) -> Any:
        """`make()` once per key (per run), under the lock: shared helper resources."""
        with self.lock:
            if key not in self.once:
                self.once[key] = make()
            return self.once[key]

    def defer(self, what: str, work: Callable[[], None]) -> None:
        """Run `work` (`what` it does, for errors) after every resource of the first phase exists."""
        with self.lock:
            self.deferred.append((what, work))


def tag_list(tags: dict[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in tags.items()]


def ec2_tag_spec(kind: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": tag_list(tags)}] if tags else []


def ec2_arn(region: str, kind: str, ident: str) -> str:
    return f"arn:aws:ec2:{region}:{ACCOUNT}:{kind}/{ident}"


# ---------------------------------------------------------------------------
# Config validation: per kind, key -> check(value) -> an error or None.

Check = Callable[[Any], "str | None"]


def is_bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false"


def is_int(low: int = 0, high: int | None = None) -> Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, int) or isinstance(v, bool) or v < low or (high is not None and v > high):
            return f"must be an integer in {low}..{'' if high is None else high}"
        return None

    return check


def is_str(v: Any) -> str | None:
    return None if isinstance(v, str) and v else "must be a non-empty string"


def one_of(*choices: str) -> Check:
    def check(v: Any) -> str | None:
        return None if v in choices else f"must be one of {', '.join(repr(c) for c in choices)}"

    return check


def is_policy(v: Any) -> str | None:
    return None if isinstance(v, dict) and v else "must be a JSON policy object"


def is_str_list(v: Any) -> str | None:
    ok = isinstance(v, list) and all(isinstance(s, str) and s for s in v)
    return None if ok else "must be a list of strings"


def is_log_types(v: Any) -> str | None:
    if not isinstance(v, list) or any(t not in EKS_LOG_TYPES for t in v) or len(set(v)) != len(v):
        return f"must be a list of distinct log types among {', '.join(EKS_LOG_TYPES)}"
    return None


def is_cidr(v: Any, version: int) -> bool:
    try:
        return isinstance(v, str) and ipaddress.ip_network(v).version == version
    except ValueError:
        return False


def is_ingress(v: Any) -> str | None:
    if not isinstance(v, list):
        return "must be a list of rules"
    keys = {"protocol", "from", "to", "cidr", "ipv6", "self", "description"}
    for i, rule in enumerate(v):
        if not isinstance(rule, dict):
            return f"[{i}] must be an object"
        unknown = sorted(set(rule) - keys)
        if unknown:
            return f"[{i}]: unknown keys {', '.join(unknown)} (keys: {', '.join(sorted(keys))})"
        if rule.get("protocol") not in ("tcp", "udp", "icmp", "-1"):
            return f'[{i}].protocol must be "tcp", "udp", "icmp" or "-1"'
        for port in ("from", "to"):
            if port in rule and is_int(-1, 65535)(rule[port]) is not None:
                return f"[{i}].{port} must be an integer in -1..65535"
            if rule["protocol"] != "-1" and port not in rule:
                return f'[{i}].{port} is required unless protocol is "-1"'
        if "cidr" in rule and not is_cidr(rule["cidr"], 4):
            return f"[{i}].cidr must be an IPv4 CIDR"
        if "ipv6" in rule and not is_cidr(rule["ipv6"], 6):
            return f"[{i}].ipv6 must be an IPv6 CIDR"
        if "self" in rule and not isinstance(rule["self"], bool):
            return f"[{i}].self must be true or false"
        if "description" in rule and not isinstance(rule["description"], str):
            return f"[{i}].description must be a string"
        if "cidr" not in rule and "ipv6" not in rule and not rule.get("self"):
            return f'[{i}] needs a source: cidr, ipv6 or "self": true'
    return None


# iam_password_policy config key -> UpdateAccountPasswordPolicy parameter, check.
PASSWORD_POLICY_KEYS: dict[str, tuple[str, Check]] = {
    "minimum_length": ("MinimumPasswordLength", is_int(6, 128)),
    "require_symbols": ("RequireSymbols", is_bool),
    "require_numbers": ("RequireNumbers", is_bool),
    "require_uppercase": ("RequireUppercaseCharacters", is_bool),
    "require_lowercase": ("RequireLowercaseCharacters", is_bool),
    "allow_users_to_change": ("AllowUsersToChangePassword", is_bool),
    "max_age": ("MaxPasswordAge", is_int(1, 1095)),
    "reuse_prevention": ("PasswordReusePrevention", is_int(1, 24)),
    "hard_expiry": ("HardExpiry", is_bool),
}

CONFIG_KEYS: dict[str, dict[str, Check]] = {
    "s3_bucket": {
        "acl": one_of("private", "public-read", "public-read-write"),
        "encryption": one_of("AES256", "aws:kms"),
        "versioning": is_bool,
        "public_access_block": is_bool,
        "logging_target": is_str,
        "policy": is_policy,
    },
    "ec2_security_group": {"ingress": is_ingress},
    "ec2_volume": {
        "encrypted": is_bool,
        "size": is_int(1, 65536),
        "type": one_of("standard", "gp2", "gp3", "io1", "io2", "sc1", "st1"),
    },
    "ec2_instance": {"public_ip": is_bool, "root_encrypted": is_bool, "imdsv2": is_bool},
    "rds_instance": {
        "public": is_bool,
        "encrypted": is_bool,
        "backup_retention": is_int(0, 35),
        "deletion_protection": is_bool,
    },
    "rds_cluster": {"encrypted": is_bool, "backup_retention": is_int(1, 35), "deletion_protection": is_bool},
    "kms_key": {
        "rotation": is_bool,
        "spec": one_of(
            "SYMMETRIC_DEFAULT",
            "RSA_2048",
            "RSA_3072",
            "RSA_4096",
            "ECC_NIST_P256",
            "ECC_NIST_P384",
            "ECC_NIST_P521",
            "ECC_SECG_P256K1",
            "HMAC_224",
            "HMAC_256",
            "HMAC_384",
            "HMAC_512",
        ),
        "usage": one_of("ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"),
    },
    "ecr_repository": {"immutable": is_bool, "scan_on_push": is_bool},
    "eks_cluster": {"public_endpoint": is_bool, "private_endpoint": is_bool, "logging": is_log_types},
    "lb": {"internal": is_bool},
    "lb_listener": {
        "load_balancer": is_str,
        "protocol": one_of("HTTP", "HTTPS"),
        "port": is_int(1, 65535),
        "redirect_to_https": is_bool,
        "ssl_policy": is_str,
    },
    "iam_user": {"inline_policy": is_policy, "attached_policies": is_str_list, "access_key": is_bool},
    "iam_role": {"assume_role_policy": is_policy, "inline_policy": is_policy, "attached_policies": is_str_list},
    "iam_password_policy": {key: check for key, (_, check) in PASSWORD_POLICY_KEYS.items()},
}
# Kinds that take no tags (AWS has none for them).
UNTAGGED = {"iam_password_policy"}
# Kinds that exist once per account.
SINGLETONS = {"iam_password_policy"}


def check_config(kind: str, config: Any, where: str) -> dict[str, Any]:
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise SpecError(f"{where}: `config` must be an object")
    allowed = CONFIG_KEYS.get(kind, {})
    for key, value in config.items():
        if key not in allowed:
            known = ", ".join(sorted(allowed)) if allowed else "none"
            raise SpecError(f"{where}: unknown config key {key!r} for {kind} (keys: {known})")
        problem = allowed[key](value)
        if problem:
            raise SpecError(f"{where}: config.{key}{'' if problem.startswith('[') else ' '}{problem}")
    if kind == "lb_listener" and "load_balancer" not in config:
        raise SpecError(f"{where}: config.load_balancer (the name of an `lb`) is required for lb_listener")
    if kind == "kms_key" and config.get("rotation") and config.get("spec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        raise SpecError(f"{where}: config.rotation: AWS rotates only SYMMETRIC_DEFAULT keys (spec {config['spec']})")
    return config


# ---------------------------------------------------------------------------
# Shared helpers (made once, found again by later runs).


HELPER_CIDR = "10.201.0.0/16"


def helper_network(c: Clients, region: str) -> dict[str, Any]:
    """The region's helper VPC (10.201.0.0/16, an internet gateway) with a
    public subnet (MapPublicIpOnLaunch) and a private one in each of the
    region's first two AZs: {"vpc", "public": [a, b], "private": [a, b]};
    made once, and found again by later runs."""

    def make() -> dict[str, Any]:
        ec2 = c("ec2", region)
        # Made by an earlier run: its subnets, in the order made.
        for vpc in ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": [HELPER_CIDR]}])["Vpcs"]:
            found = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
            subnets = [s["SubnetId"] for s in sorted(found, key=lambda s: ipaddress.ip_network(s["CidrBlock"]))]
            if len(subnets) == 4:
                return {"vpc": vpc["VpcId"], "public": subnets[:2], "private": subnets[2:]}
        zones = sorted(
            z["ZoneName"]
            for z in ec2.describe_availability_zones()["AvailabilityZones"]
            if z.get("ZoneType", "availability-zone") == "availability-zone"
        )[:2]
        if len(zones) < 2:
            raise SpecError(f"{region} has fewer than two availability zones")
        vpc = ec2.create_vpc(CidrBlock=HELPER_CIDR)["Vpc"]["VpcId"]
        gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
        cidrs = ipaddress.ip_network(HELPER_CIDR).subnets(new_prefix=18)
        net: dict[str, Any] = {"vpc": vpc, "public": [], "private": []}
        for role in ("public", "private"):
            for zone in zones:
                made = ec2.create_subnet(VpcId=vpc, CidrBlock=str(next(cidrs)), AvailabilityZone=zone)
                sub = made["Subnet"]["SubnetId"]
                if role == "public":
                    ec2.modify_subnet_attribute(SubnetId=sub, MapPublicIpOnLaunch={"Value": True})
                net[role].append(sub)
        return net

    return c.memo(("network", region), make)


def service_role(c: Clients, name: str, service: str) -> str:
    """The ARN of IAM role `name` that `service` may assume (made once)."""

    def make() -> str:
        iam = c("iam", "us-east-1")
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
        try:
            return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        except iam.exceptions.EntityAlreadyExistsException:
            return iam.get_role(RoleName=name)["Role"]["Arn"]

    return c.memo(("iam-role", name), make)


def lambda_role(c: Clients) -> str:
    """An IAM role for Lambda functions (moto checks the role exists)."""
    return service_role(c, "palisade-seed-lambda", "lambda.amazonaws.com")


CERT_DOMAIN = "palisade.example.com"


def certificate(c: Clients, region: str) -> str:
    """An ACM certificate ARN for HTTPS listeners: a self-signed one imported
    (ISSUED, as AWS requires for a listener); a requested one (moto leaves it
    PENDING_VALIDATION) when `cryptography` is missing; one per region,
    found again by later runs."""

    def make() -> str:
        acm = c("acm", region)
        listed = acm.list_certificates(CertificateStatuses=["ISSUED", "PENDING_VALIDATION"])
        for cert in listed["CertificateSummaryList"]:
            if cert.get("DomainName") == CERT_DOMAIN:
                return cert["CertificateArn"]
        try:
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import ec
            from cryptography.x509.oid import NameOID
        except ImportError:
            return acm.request_certificate(DomainName=CERT_DOMAIN)["CertificateArn"]
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CERT_DOMAIN)])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(CERT_DOMAIN)]), critical=False)
            .sign(key, hashes.SHA256())
        )
        return acm.import_certificate(
            Certificate=cert.public_bytes(serialization.Encoding.PEM),
            PrivateKey=key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
            ),
        )["CertificateArn"]

    return c.memo(("acm-cert", region), make)


# ---------------------------------------------------------------------------
# Creators: (clients, region, name, tags, config) -> (arn, id). EC2 creators
# get the Name tag already merged into `tags`.


def substitute(doc: Any, name: str) -> Any:
    """`doc` with "${bucket}" replaced by `name` in every string."""
    if isinstance(doc, str):
        return doc.replace("${bucket}", name)
    if isinstance(doc, list):
        return [substitute(v, name) for v in doc]
    if isinstance(doc, dict):
        return {k: substitute(v, name) for k, v in doc.items()}
    return doc


def grant_log_delivery(c: Clients, region: str, target: str) -> None:
    """Add the LogDelivery group's WRITE and READ_ACP grants to bucket
    `target`'s ACL (once per target), as a logging target needs."""

    def make() -> bool:
        s3 = c("s3", region)
        acl = s3.get_bucket_acl(Bucket=target)
        grants = [g for g in acl["Grants"] if g.get("Grantee", {}).get("URI") != LOG_DELIVERY]
        grants += [{"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": p} for p in ("WRITE", "READ_ACP")]
        s3.put_bucket_acl(Bucket=target, AccessControlPolicy={"Owner": acl["Owner"], "Grants": grants})
        return True

    c.memo(("log-target", target), make)


def create_s3_bucket(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    s3 = c("s3", region)
    args: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**args)
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(tags)})
    acl = config.get("acl")
    if acl == "public-read-write":
        # moto shows only the first permission of a grant (READ for the
        # canned ACL): two grants, as AWS shows it.
        owner = s3.get_bucket_acl(Bucket=name)["Owner"]
        grants = [{"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"}]
        grants += [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": p} for p in ("READ", "WRITE")]
        s3.put_bucket_acl(Bucket=name, AccessControlPolicy={"Owner": owner, "Grants": grants})
    elif acl:
        s3.put_bucket_acl(Bucket=name, ACL=acl)
    if "policy" in config:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(substitute(config["policy"], name)))
    if "encryption" in config:
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": config["encryption"]}}
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [rule]})
    if config.get("versioning"):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    # Last: blocking public ACLs and policies first would refuse the ones above.
    if config.get("public_access_block"):
        flags = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={f: True for f in flags})
    if "logging_target" in config:
        target = config["logging_target"]

        def logging() -> None:
            grant_log_delivery(c, region, target)
            status = {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": f"{name}/"}}
            s3.put_bucket_logging(Bucket=name, BucketLoggingStatus=status)

        c.defer(f"s3_bucket {name!r} in {region}: logging to {target!r}", logging)
    return f"arn:aws:s3:::{name}", name


def create_ec2_volume(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    args: dict[str, Any] = {"AvailabilityZone": f"{region}a", "Size": config.get("size", 1)}
    if "encrypted" in config:
        args["Encrypted"] = config["encrypted"]
    if "type" in config:
        args["VolumeType"] = config["type"]
        if config["type"] in ("io1", "io2"):
            args["Iops"] = 100
    vol = c("ec2", region).create_volume(TagSpecifications=ec2_tag_spec("volume", tags), **args)
    return ec2_arn(region, "volume", vol["VolumeId"]), vol["VolumeId"]


def create_ec2_vpc(c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]) -> tuple[str, str]:
    vpc = c("ec2", region).create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=ec2_tag_spec("vpc", tags))["Vpc"]
    return ec2_arn(region, "vpc", vpc["VpcId"]), vpc["VpcId"]


class SubnetPool:
    """Subnets go into one helper VPC per region (10.200.0.0/16, untagged),
    a /28 each (4,096 per VPC; another VPC after that)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state: dict[str, tuple[str, Any]] = {}

    def next(self, c: Clients, region: str) -> tuple[str, str]:
        with self.lock:
            vpc, cidrs = self.state.get(region, (None, None))
            cidr = next(cidrs, None) if cidrs else None
            if cidr is None:
                vpc = c("ec2", region).create_vpc(CidrBlock="10.200.0.0/16")["Vpc"]["VpcId"]
                cidrs = ipaddress.ip_network("10.200.0.0/16").subnets(new_prefix=28)
                cidr = next(cidrs)
            self.state[region] = (vpc, cidrs)
            return vpc, str(cidr)


SUBNETS = SubnetPool()


def create_ec2_subnet(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    vpc, cidr = SUBNETS.next(c, region)
    sub = c("ec2", region).create_subnet(
        VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{region}a", TagSpecifications=ec2_tag_spec("subnet", tags)
    )["Subnet"]
    return ec2_arn(region, "subnet", sub["SubnetId"]), sub["SubnetId"]


def ip_permission(rule: dict[str, Any], group: str) -> dict[str, Any]:
    """One `ingress` rule of the config as an EC2 IpPermission."""
    perm: dict[str, Any] = {"IpProtocol": rule["protocol"]}
    if rule["protocol"] != "-1":
        perm["FromPort"], perm["ToPort"] = rule["from"], rule["to"]
    extra = {"Description": rule["description"]} if "description" in rule else {}
    if "cidr" in rule:
        perm["IpRanges"] = [{"CidrIp": rule["cidr"], **extra}]
    if "ipv6" in rule:
        perm["Ipv6Ranges"] = [{"CidrIpv6": rule["ipv6"], **extra}]
    if rule.get("self"):
        perm["UserIdGroupPairs"] = [{"GroupId": group, **extra}]
    return perm


def create_ec2_security_group(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    ec2 = c("ec2", region)
    group = ec2.create_security_group(
        GroupName=name, Description=f"palisade test {name}", TagSpecifications=ec2_tag_spec("security-group", tags)
    )["GroupId"]
    if config.get("ingress"):
        ec2.authorize_security_group_ingress(
            GroupId=group, IpPermissions=[ip_permission(rule, group) for rule in config["ingress"]]
        )
    return ec2_arn(region, "security-group", group), group


def create_sqs_queue(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    url = c("sqs", region).create_queue(QueueName=name, tags=tags)["QueueUrl"]
    return f"arn:aws:sqs:{region}:{ACCOUNT}:{name}", url


def create_sns_topic(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    args: dict[str, Any] = {"Name": name}
    if tags:
        args["Tags"] = tag_list(tags)
    arn = c("sns", region).create_topic(**args)["TopicArn"]
    return arn, arn


def create_dynamodb_table(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    args: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if tags:
        args["Tags"] = tag_list(tags)
    table = c("dynamodb", region).create_table(**args)["TableDescription"]
    return table["TableArn"], name


def create_logs_log_group(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    args: dict[str, Any] = {"logGroupName": name}
    if tags:
        args["tags"] = tags
    c("logs", region).create_log_group(**args)
    return f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}", name


def kms_usage(spec: str) -> str:
    if spec.startswith("ECC_"):
        return "SIGN_VERIFY"
    if spec.startswith("HMAC_"):
        return "GENERATE_VERIFY_MAC"
    return "ENCRYPT_DECRYPT"


def create_kms_key(c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]) -> tuple[str, str]:
    kms = c("kms", region)
    # A key has no name: it goes in the description.
    spec = config.get("spec", "SYMMETRIC_DEFAULT")
    # moto leaves KeyUsage out of DescribeKey unless it is given: always give it.
    meta = kms.create_key(
        Description=name,
        KeySpec=spec,
        KeyUsage=config.get("usage", kms_usage(spec)),
        Tags=tag_list(tags, "TagKey", "TagValue"),
    )["KeyMetadata"]
    if config.get("rotation"):
        kms.enable_key_rotation(KeyId=meta["KeyId"])
    return meta["Arn"], meta["KeyId"]


def create_secretsmanager_secret(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    args: dict[str, Any] = {"Name": name, "SecretString": "palisade-test"}
    if tags:
        args["Tags"] = tag_list(tags)
    arn = c("secretsmanager", region).create_secret(**args)["ARN"]
    return arn, arn


def create_ssm_parameter(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    args: dict[str, Any] = {"Name": name, "Value": "palisade-test", "Type": "String"}
    if tags:
        args["Tags"] = tag_list(tags)
    c("ssm", region).put_parameter(**args)
    return f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{name.lstrip('/')}", name


def lambda_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


LAMBDA_ZIP = lambda_zip()


def create_lambda_function(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    # moto creates functions without Docker (it needs Docker only to invoke them).
    fn = c("lambda", region).create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=lambda_role(c),
        Handler="index.handler",
        Code={"ZipFile": LAMBDA_ZIP},
        Tags=tags,
    )
    return fn["FunctionArn"], name


def create_rds_instance(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    args: dict[str, Any] = {
        "DBInstanceIdentifier": name,
        "Engine": "postgres",
        "DBInstanceClass": "db.t3.micro",
        "AllocatedStorage": 20,
        "MasterUsername": "palisade",
        "MasterUserPassword": PASSWORD,
        # moto leaves PubliclyAccessible out unless it is given: always give it.
        "PubliclyAccessible": config.get("public", False),
        "Tags": tag_list(tags),
    }
    args.update(rds_storage_options(config))
    db = c("rds", region).create_db_instance(**args)["DBInstance"]
    return db["DBInstanceArn"], name


def rds_storage_options(config: dict[str, Any]) -> dict[str, Any]:
    """The options RDS instances and clusters share, for the config keys given."""
    names = {"encrypted": "StorageEncrypted", "backup_retention": "BackupRetentionPeriod",
             "deletion_protection": "DeletionProtection"}
    return {api: config[key] for key, api in names.items() if key in config}


def create_rds_cluster(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    args: dict[str, Any] = {
        "DBClusterIdentifier": name,
        "Engine": "aurora-postgresql",
        "MasterUsername": "palisade",
        "MasterUserPassword": PASSWORD,
        "Tags": tag_list(tags),
    }
    args.update(rds_storage_options(config))
    cluster = c("rds", region).create_db_cluster(**args)["DBCluster"]
    return cluster["DBClusterArn"], name


def create_ecr_repository(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    args: dict[str, Any] = {
        "repositoryName": name,
        "imageTagMutability": "IMMUTABLE" if config.get("immutable") else "MUTABLE",
        "imageScanningConfiguration": {"scanOnPush": config.get("scan_on_push", False)},
    }
    if tags:
        args["tags"] = tag_list(tags)
    repo = c("ecr", region).create_repository(**args)["repository"]
    return repo["repositoryArn"], name


def create_eks_cluster(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    net = helper_network(c, region)
    enabled = config.get("logging", [])
    disabled = [t for t in EKS_LOG_TYPES if t not in enabled]
    # As AWS describes it: the enabled types, then the disabled ones.
    logging = [{"types": types, "enabled": on} for types, on in ((enabled, True), (disabled, False)) if types]
    args: dict[str, Any] = {
        "name": name,
        "roleArn": service_role(c, "palisade-seed-eks", "eks.amazonaws.com"),
        # moto leaves the endpoint flags out unless they are given: always give them.
        "resourcesVpcConfig": {
            "subnetIds": net["private"],
            "endpointPublicAccess": config.get("public_endpoint", True),
            "endpointPrivateAccess": config.get("private_endpoint", False),
        },
        "logging": {"clusterLogging": logging},
    }
    if tags:
        args["tags"] = tags
    cluster = c("eks", region).create_cluster(**args)["cluster"]
    return cluster["arn"], name


class LoadBalancers:
    """The load balancers seeded in this run, by (region, name): (arn, vpc);
    others are looked up by name."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.known: dict[tuple[str, str], tuple[str, str]] = {}

    def add(self, region: str, name: str, arn: str, vpc: str) -> None:
        with self.lock:
            self.known[(region, name)] = (arn, vpc)

    def get(self, c: Clients, region: str, name: str) -> tuple[str, str]:
        with self.lock:
            if (region, name) in self.known:
                return self.known[(region, name)]
        elb = c("elbv2", region)
        try:
            lb = elb.describe_load_balancers(Names=[name])["LoadBalancers"][0]
        except elb.exceptions.LoadBalancerNotFoundException as err:
            raise SpecError(f"no load balancer {name!r} in {region}") from err
        self.add(region, name, lb["LoadBalancerArn"], lb["VpcId"])
        return lb["LoadBalancerArn"], lb["VpcId"]


LOAD_BALANCERS = LoadBalancers()


def create_lb(c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]) -> tuple[str, str]:
    net = helper_network(c, region)
    internal = config.get("internal", False)
    args: dict[str, Any] = {
        "Name": name,
        "Subnets": net["private"] if internal else net["public"],
        "Type": "application",
        "Scheme": "internal" if internal else "internet-facing",
    }
    if tags:
        args["Tags"] = tag_list(tags)
    lb = c("elbv2", region).create_load_balancer(**args)["LoadBalancers"][0]
    LOAD_BALANCERS.add(region, name, lb["LoadBalancerArn"], lb["VpcId"])
    return lb["LoadBalancerArn"], lb["LoadBalancerArn"]


def target_group(c: Clients, region: str, lb_arn: str, vpc: str) -> str:
    """A target group for the load balancer's forward actions (one per LB, as AWS allows)."""

    def make() -> str:
        elb = c("elbv2", region)
        name = "palisade-tg-" + hashlib.sha1(lb_arn.encode()).hexdigest()[:16]
        try:
            return elb.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]
        except elb.exceptions.TargetGroupNotFoundException:
            pass
        made = elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance")
        return made["TargetGroups"][0]["TargetGroupArn"]

    return c.memo(("target-group", lb_arn), make)


def create_lb_listener(
    c: Clients, region: str, lb_name: str, port: int, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    lb_arn, vpc = LOAD_BALANCERS.get(c, region, lb_name)
    protocol = config.get("protocol", "HTTP")
    if config.get("redirect_to_https"):
        action = {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
    else:
        action = {"Type": "forward", "TargetGroupArn": target_group(c, region, lb_arn, vpc)}
    args: dict[str, Any] = {"LoadBalancerArn": lb_arn, "Protocol": protocol, "Port": port, "DefaultActions": [action]}
    if protocol == "HTTPS":
        args["Certificates"] = [{"CertificateArn": certificate(c, region)}]
    if "ssl_policy" in config:
        args["SslPolicy"] = config["ssl_policy"]
    if tags:
        args["Tags"] = tag_list(tags)
    listener = c("elbv2", region).create_listener(**args)["Listeners"][0]
    return listener["ListenerArn"], listener["ListenerArn"]


def attach_policies(c: Clients, region: str, who: str, name: str, config: dict[str, Any]) -> None:
    """The inline and attached policies of an IAM user or role (`who`)."""
    iam = c("iam", region)
    if "inline_policy" in config:
        put = iam.put_user_policy if who == "user" else iam.put_role_policy
        put(
            **{f"{who.capitalize()}Name": name},
            PolicyName=INLINE_POLICY_NAME,
            PolicyDocument=json.dumps(config["inline_policy"]),
        )
    attach = iam.attach_user_policy if who == "user" else iam.attach_role_policy
    for arn in config.get("attached_policies", []):
        try:
            attach(**{f"{who.capitalize()}Name": name}, PolicyArn=arn)
        except iam.exceptions.NoSuchEntityException as err:
            hint = (
                " (moto knows only the AWS managed policies that tests/support/aws/moto_server.py loads)"
                if arn.startswith("arn:aws:iam::aws:policy/")
                else ""
            )
            raise SpecError(f"cannot attach {arn} to IAM {who} {name!r}: no such policy{hint}") from err


def create_iam_user(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    iam = c("iam", region)
    args: dict[str, Any] = {"UserName": name}
    if tags:
        args["Tags"] = tag_list(tags)
    user = iam.create_user(**args)["User"]
    attach_policies(c, region, "user", name, config)
    if config.get("access_key"):
        iam.create_access_key(UserName=name)
    return user["Arn"], name


def create_iam_role(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str, str]:
    iam = c("iam", region)
    args: dict[str, Any] = {
        "RoleName": name,
        "AssumeRolePolicyDocument": json.dumps(config.get("assume_role_policy", EC2_TRUST)),
    }
    if tags:
        args["Tags"] = tag_list(tags)
    role = iam.create_role(**args)["Role"]
    attach_policies(c, region, "role", name, config)
    return role["Arn"], name


def create_iam_password_policy(
    c: Clients, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
) -> tuple[str | None, str]:
    args = {PASSWORD_POLICY_KEYS[key][0]: value for key, value in config.items()}
    c("iam", region).update_account_password_policy(**args)
    return None, PASSWORD_POLICY_ID


CREATORS: dict[str, Callable[[Clients, str, str, dict[str, str], dict[str, Any]], tuple[Any, str]]] = {
    "s3_bucket": create_s3_bucket,
    "ec2_volume": create_ec2_volume,
    "ec2_vpc": create_ec2_vpc,
    "ec2_subnet": create_ec2_subnet,
    "ec2_security_group": create_ec2_security_group,
    "sqs_queue": create_sqs_queue,
    "sns_topic": create_sns_topic,
    "dynamodb_table": create_dynamodb_table,
    "logs_log_group": create_logs_log_group,
    "kms_key": create_kms_key,
    "secretsmanager_secret": create_secretsmanager_secret,
    "ssm_parameter": create_ssm_parameter,
    "lambda_function": create_lambda_function,
    "rds_instance": create_rds_instance,
    "rds_cluster": create_rds_cluster,
    "ecr_repository": create_ecr_repository,
    "eks_cluster": create_eks_cluster,
    "lb": create_lb,
    "iam_user": create_iam_user,
    "iam_role": create_iam_role,
    "iam_password_policy": create_iam_password_policy,
}
KINDS = sorted([*CREATORS, "ec2_instance", "lb_listener"])


def create_instances(
    c: Clients, region: str, names: list[str], tags: dict[str, str], config: dict[str, Any]
) -> list[tuple[str, str]]:
    """EC2 instances of one spec entry, in one RunInstances call; then the
    Name tag of each (when names differ)."""
    ec2 = c("ec2", region)
    common = dict(tags)
    if len(names) == 1:
        common["Name"] = names[0]
    args: dict[str, Any] = {
        "ImageId": AMI,
        "InstanceType": "t3.micro",
        "MinCount": len(names),
        "MaxCount": len(names),
        "TagSpecifications": ec2_tag_spec("instance", common),
    }
    if "public_ip" in config:
        args["SubnetId"] = helper_network(c, region)["public" if config["public_ip"] else "private"][0]
    if "root_encrypted" in config:
        # moto needs the size (AWS would take the snapshot's): 8 GiB, moto's own default.
        ebs = {"Encrypted": config["root_encrypted"], "VolumeSize": 8, "DeleteOnTermination": True}
        args["BlockDeviceMappings"] = [{"DeviceName": ROOT_DEVICE, "Ebs": ebs}]
    if "imdsv2" in config:
        args["MetadataOptions"] = {
            "HttpTokens": "required" if config["imdsv2"] else "optional",
            "HttpEndpoint": "enabled",
        }
    found = ec2.run_instances(**args)["Instances"]
    ids = [i["InstanceId"] for i in found]
    if len(names) > 1:
        # One call per instance (each has its own Name), a few at a time.
        with ThreadPoolExecutor(max_workers=4) as pool:
            tagged = [
                pool.submit(ec2.create_tags, Resources=[ident], Tags=[{"Key": "Name", "Value": name}])
                for ident, name in zip(ids, names)
            ]
            for future in tagged:
                future.result()
    return [(ec2_arn(region, "instance", ident), ident) for ident in ids]


def entry_field(entry: Any, index: int) -> tuple[str, str, str, dict[str, str], int, dict[str, Any]]:
    where = f"resources[{index}]"
    if not isinstance(entry, dict):
        raise SpecError(f"{where}: not an object")
    unknown = sorted(set(entry) - {"kind", "region", "name", "tags", "count", "config"})
    if unknown:
        raise SpecError(f"{where}: unknown keys {', '.join(unknown)} (keys: kind, region, name, tags, count, config)")
    kind, region, name = entry.get("kind"), entry.get("region"), entry.get("name")
    tags, count = entry.get("tags") or {}, entry.get("count", 1)
    if kind not in KINDS:
        raise SpecError(f"{where}: unknown kind {kind!r} (kinds: {', '.join(KINDS)})")
    if not isinstance(region, str) or not region:
        raise SpecError(f"{where}: `region` must be a string")
    if not isinstance(name, str) or not name:
        raise SpecError(f"{where}: `name` must be a string")
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise SpecError(f"{where}: `tags` must map strings to strings")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise SpecError(f"{where}: `count` must be an integer >= 0")
    if kind in UNTAGGED and tags:
        raise SpecError(f"{where}: {kind} takes no tags")
    if kind in SINGLETONS and count > 1:
        raise SpecError(f"{where}: there is one {kind} per account: `count` must be 0 or 1")
    config = check_config(kind, entry.get("config"), where)
    return kind, region, name, tags, count, config


def listener_targets(
    names: list[str], region: str, config: dict[str, Any], lbs: dict[tuple[str, str], int], where: str
) -> list[tuple[str, int]]:
    """(load balancer name, port) of each listener of an entry: listener i
    goes to LB-(i % M) when the `lb` entry has a count M > 1, else to the LB,
    on port `port + i // M`."""
    lb = config["load_balancer"]
    lb_count = lbs.get((region, lb), 1)
    if lb_count == 0:
        raise SpecError(f"{where}: config.load_balancer {lb!r} has `count` 0")
    port = config.get("port", 443 if config.get("protocol") == "HTTPS" else 80)
    targets = []
    for i in range(len(names)):
        lb_name = lb if lb_count == 1 else f"{lb}-{i % lb_count}"
        if port + i // lb_count > 65535:
            raise SpecError(f"{where}: too many listeners for the ports of {lb!r}")
        targets.append((lb_name, port + i // lb_count))
    return targets


def seed(c: Clients, entries: list[Any]) -> list[dict[str, Any]]:
    """Create every resource, in parallel, and return them in spec order:
    first everything but listeners, then the deferred work (S3 logging), then
    the listeners (they need their load balancers)."""
    jobs: list[tuple[str, str, list[str], dict[str, str], dict[str, Any]]] = []
    lbs: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(entries):
        kind, region, name, tags, count, config = entry_field(entry, index)
        names = [name] if count == 1 else [f"{name}-{i}" for i in range(count)]
        jobs.append((kind, region, names, tags, config))
        if kind == "lb":
            lbs[(region, name)] = count
    targets = {
        index: listener_targets(job[2], job[1], job[4], lbs, f"resources[{index}]")
        for index, job in enumerate(jobs)
        if job[0] == "lb_listener"
    }

    errors = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, SpecError)

    def failed(index: int, kind: str, name: str, region: str, err: Exception) -> SpecError:
        return SpecError(f"resources[{index}]: cannot create {kind} {name!r} in {region}: {err}")

    def one(
        index: int, kind: str, region: str, name: str, tags: dict[str, str], config: dict[str, Any]
    ) -> dict[str, Any]:
        all_tags = {"Name": name, **tags} if kind.startswith("ec2_") else dict(tags)
        try:
            arn, ident = CREATORS[kind](c, region, name, all_tags, config)
        except errors as err:
            raise failed(index, kind, name, region, err) from err
        return {"kind": kind, "region": region, "name": name, "arn": arn, "id": ident, "tags": all_tags}

    def listener(
        index: int, region: str, name: str, target: tuple[str, int], tags: dict[str, str], config: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            arn, ident = create_lb_listener(c, region, target[0], target[1], tags, config)
        except errors as err:
            raise failed(index, "lb_listener", name, region, err) from err
        return {"kind": "lb_listener", "region": region, "name": name, "arn": arn, "id": ident, "tags": dict(tags)}

    def instances(
        index: int, region: str, names: list[str], tags: dict[str, str], config: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            made = create_instances(c, region, names, tags, config) if names else []
        except errors as err:
            raise failed(index, "ec2_instance", f"{names[0]}..", region, err) from err
        return [
            {"kind": "ec2_instance", "region": region, "name": n, "arn": arn, "id": ident, "tags": {"Name": n, **tags}}
            for n, (arn, ident) in zip(names, made)
        ]

    def deferred(what: str, work: Callable[[], None]) -> None:
        try:
            work()
        except errors as err:
            raise SpecError(f"cannot configure {what}: {err}") from err

    results: list[list[dict[str, Any]]] = [[] for _ in jobs]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = []
        for index, (kind, region, names, tags, config) in enumerate(jobs):
            if kind == "ec2_instance":
                futures.append((index, pool.submit(instances, index, region, names, tags, config)))
            elif kind != "lb_listener":
                futures.extend((index, pool.submit(one, index, kind, region, n, tags, config)) for n in names)
        for index, future in futures:
            made = future.result()
            results[index].extend(made if isinstance(made, list) else [made])
        for future in [pool.submit(deferred, what, work) for what, work in c.deferred]:
            future.result()
        futures = []
        for index, (kind, region, names, tags, config) in enumerate(jobs):
            if kind == "lb_listener":
                futures.extend(
                    (index, pool.submit(listener, index, region, n, t, tags, config))
                    for n, t in zip(names, targets[index])
                )
        for index, future in futures:
            results[index].append(future.result())
    return [made for made_by_entry in results for made in made_by_entry]


# ---------------------------------------------------------------------------
# Deleting: (clients, region, name or None, id or None).


def ec2_ids_by_name(ec2: Any, describe: str, key: str, ident: str | None, name: str | None, prefix: str) -> list[str]:
    """The ids of EC2 resources given by id, or by Name tag (or group name)."""
    if ident:
        return [ident]
    if name and name.startswith(prefix):
        return [name]
    if describe == "describe_security_groups":
        found = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]
        return [g["GroupId"] for g in found]
    pages = getattr(ec2, describe)(Filters=[{"Name": "tag:Name", "Values": [name]}])
    if describe == "describe_instances":
        return [
            i["InstanceId"]
            for r in pages["Reservations"]
            for i in r["Instances"]
            if i["State"]["Name"] not in ("terminated", "shutting-down")
        ]
    return [v[key] for v in pages["Volumes"]]


def delete_s3_bucket(c: Clients, region: str, name: str | None, ident: str | None) -> None:
    c("s3", region).delete_bucket(Bucket=ident or name)


def delete_ec2_security_group(c: Clients, region: str, name: str | None, ident: str | None) -> None:
    ec2 = c("ec2", region)
    for group in ec2_ids_by_name(ec2, "describe_security_groups", "GroupId", ident, name, "sg-"):
        ec2.delete_security_group(GroupId=group)


def delete_ec2_volume(c: Clients, region: str, name: str | None, ident: str | None) -> None:
    ec2 = c("ec2", region)
    for vol in ec2_ids_by_name(ec2, "describe_volumes", "VolumeId", ident, name, "vol-"):
        ec2.delete_volume(VolumeId=vol)


def delete_ec2_instance(c: Clients, region: str, name: str | None, ident: str | None) -> None:
    ec2 = c("ec2", region)
    ids = ec2_ids_by_name(ec2, "describe_instances", "InstanceId", ident, name, "i-")
    if ids:
        ec2.terminate_instances(InstanceIds=ids)


def delete_rds_instance(c: Clients, region: str, name: str | None, ident: str | None) -> None:
    rds = c("rds", region)
    db = ident or name
    rds.modify_db_instance(DBInstanceIdentifier=db, DeletionProtection=False, ApplyImmediately=True)
    rds.delete_db_instance(DBInstanceIdentifier=db, SkipFinalSnapshot=True)


def delete_rds_cluster(c: Clients, region: str, name: str | None, ident: str | None) -> None:
    rds = c("rds", region)
    cluster = ident or name
    rds.modify_db_cluster(DBClusterIdentifier=cluster, DeletionProtection=False, ApplyImmediately=True)
    rds.delete_db_cluster(DBClusterIdentifier=cluster, SkipFinalSnapshot=True)


def delete_kms_key(c: Clients, region: str, name: str | None, ident: str | None) -> None:
    """Scheduled for deletion (7 days: the key is then PendingDeletion), as AWS does."""
    kms = c("kms", region)
    keys = [ident] if ident else []
    if not ident:
        for page in kms.get_paginator("list_keys").paginate():
            for key in page["Keys"]:
                meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
                if meta.get("Description") == name and meta["KeyState"] != "PendingDeletion":
                    keys.append(key["KeyId"])
    for key in keys:
        kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)


def delete_ecr_repository(c: Clients, region: str, name: str | None, ident: str | None) -> None:
    c("ecr", region).delete_repository(repositoryName=ident or name, force=True)


def delete_eks_cluster(c: Clients, region: str, name: str | None, ident: str | None) -> None:
    c("eks", region).delete_cluster(name=ident or name)


def delete_lb(c: Clients, region: str, name: str | None, ident: str | None) -> None:
    elb = c("elbv2", region)
    arn = ident or elb.describe_load_balancers(Names=[name])["LoadBalancers"][0]["LoadBalancerArn"]
    elb.delete_load_balancer(LoadBalancerArn=arn)


def delete_lb_listener(c: Clients, region: str, name: str | None, ident: str | None) -> None:
    if not ident:
        raise SpecError("an lb_listener is deleted by `id` (its ARN)")
    c("elbv2", region).delete_listener(ListenerArn=ident)


def delete_iam_user(c: Clients, region: str, name: str | None, ident: str | None) -> None:
    iam, user = c("iam", region), ident or name
    for key in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    for policy in iam.list_user_policies(UserName=user)["PolicyNames"]:
        iam.delete_user_policy(UserName=user, PolicyName=policy)
    for policy in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]:
        iam.detach_user_policy(UserName=user, PolicyArn=policy["PolicyArn"])
    iam.delete_user(UserName=user)


def delete_iam_role(c: Clients, region: str, name: str | None, ident: str | None) -> None:
    iam, role = c("iam", region), ident or name
    for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        iam.delete_role_policy(RoleName=role, PolicyName=policy)
    for policy in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=role, PolicyArn=policy["PolicyArn"])
    iam.delete_role(RoleName=role)


def delete_iam_password_policy(c: Clients, region: str, name: str | None, ident: str | None) -> None:
    c("iam", region).delete_account_password_policy()


DELETERS: dict[str, Callable[[Clients, str, str | None, str | None], None]] = {
    "s3_bucket": delete_s3_bucket,
    "ec2_security_group": delete_ec2_security_group,
    "ec2_volume": delete_ec2_volume,
    "ec2_instance": delete_ec2_instance,
    "rds_instance": delete_rds_instance,
    "rds_cluster": delete_rds_cluster,
    "kms_key": delete_kms_key,
    "ecr_repository": delete_ecr_repository,
    "eks_cluster": delete_eks_cluster,
    "lb": delete_lb,
    "lb_listener": delete_lb_listener,
    "iam_user": delete_iam_user,
    "iam_role": delete_iam_role,
    "iam_password_policy": delete_iam_password_policy,
}


def delete(c: Clients, entries: list[Any]) -> None:
    """Delete each resource named, in order."""
    for index, entry in enumerate(entries):
        where = f"delete[{index}]"
        if not isinstance(entry, dict):
            raise SpecError(f"{where}: not an object")
        unknown = sorted(set(entry) - {"kind", "region", "name", "id"})
        if unknown:
            raise SpecError(f"{where}: unknown keys {', '.join(unknown)} (keys: kind, region, name, id)")
        kind, region, name, ident = entry.get("kind"), entry.get("region"), entry.get("name"), entry.get("id")
        if kind not in DELETERS:
            raise SpecError(f"{where}: cannot delete kind {kind!r} (kinds: {', '.join(sorted(DELETERS))})")
        if not isinstance(region, str) or not region:
            raise SpecError(f"{where}: `region` must be a string")
        if (
            not (isinstance(name, str) and name)
            and not (isinstance(ident, str) and ident)
            and kind != "iam_password_policy"
        ):
            raise SpecError(f"{where}: needs a `name` or an `id` string")
        try:
            DELETERS[kind](
                c, region, name if isinstance(name, str) else None, ident if isinstance(ident, str) else None
            )
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
            raise SpecError(f"{where}: cannot delete {kind} {ident or name!r} in {region}: {err}") from err


def native_retag(c: Clients, arn: str, region: str, tags: dict[str, str] | None, keys: list[str] | None) -> bool:
    """Tag or untag with the service's own API the ARNs that moto's tagging
    API does not support (sqs, ssm); False for any other ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return False
    service, rest = parts[2], parts[5]
    if service == "sqs":
        sqs = c("sqs", region)
        url = sqs.get_queue_url(QueueName=rest)["QueueUrl"]
        if tags is not None:
            sqs.tag_queue(QueueUrl=url, Tags=tags)
        else:
            sqs.untag_queue(QueueUrl=url, TagKeys=keys)
        return True
    if service == "ssm" and rest.startswith("parameter/"):
        ssm = c("ssm", region)
        rest = rest[len("parameter/") :]
        # The ARN drops a name's leading '/': try the name both ways.
        for name in (rest, "/" + rest) if "/" not in rest else ("/" + rest, rest):
            try:
                ssm.get_parameter(Name=name)
            except ssm.exceptions.ParameterNotFound:
                continue
            if tags is not None:
                ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=tag_list(tags))
            else:
                ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=keys)
            return True
    return False


def retag(c: Clients, entries: list[Any], untag: bool) -> None:
    """TagResources / UntagResources, one call per entry; sqs and ssm
    resources, which moto's tagging API refuses, with their own APIs."""
    what = "untag" if untag else "tag"
    for index, entry in enumerate(entries):
        where = f"{what}[{index}]"
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("arn"), str)
            or not isinstance(entry.get("region"), str)
        ):
            raise SpecError(f"{where}: needs `arn` and `region` strings")
        api = c("resourcegroupstaggingapi", entry["region"])
        tags, keys = None, None
        if untag:
            keys = entry.get("keys")
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise SpecError(f"{where}: `keys` must be a list of strings")
            failed = api.untag_resources(ResourceARNList=[entry["arn"]], TagKeys=keys).get("FailedResourcesMap")
        else:
            tags = entry.get("tags")
            if not isinstance(tags, dict):
                raise SpecError(f"{where}: `tags` must be an object")
            failed = api.tag_resources(ResourceARNList=[entry["arn"]], Tags=tags).get("FailedResourcesMap")
        if failed and not native_retag(c, entry["arn"], entry["region"], tags, keys):
            raise SpecError(f"{where}: the tagging API refused {entry['arn']}: {json.dumps(failed)}")


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: seed.py SPEC.json|-   (with AWS_ENDPOINT_URL set)", file=sys.stderr)
        return 1
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        print("seed.py: AWS_ENDPOINT_URL is not set (the moto server's URL)", file=sys.stderr)
        return 1
    try:
        if sys.argv[1] == "-":
            spec = json.load(sys.stdin)
        else:
            with open(sys.argv[1], encoding="utf-8") as f:
                spec = json.load(f)
        if not isinstance(spec, dict):
            raise SpecError("the spec must be a JSON object")
        unknown = sorted(set(spec) - {"resources", "tag", "untag", "delete"})
        if unknown:
            raise SpecError(f"unknown spec keys {', '.join(unknown)} (keys: resources, tag, untag, delete)")
        for key in ("resources", "tag", "untag", "delete"):
            if not isinstance(spec.get(key, []), list):
                raise SpecError(f"`{key}` must be a list")
        clients = Clients(endpoint)
        made = seed(clients, spec.get("resources", []))
        retag(clients, spec.get("tag", []), untag=False)
        retag(clients, spec.get("untag", []), untag=True)
        delete(clients, spec.get("delete", []))
    except (OSError, ValueError, SpecError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
        print(f"seed.py: {err}", file=sys.stderr)
        return 1
    json.dump({"resources": made}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
