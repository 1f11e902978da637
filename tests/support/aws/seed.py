"""Seed moto with AWS resources for the tests, with boto3.

    AWS_ENDPOINT_URL=http://127.0.0.1:PORT seed.py SPEC.json    (or `-`: stdin)

SPEC is a JSON document:
    {"resources": [{"kind": "sqs_queue", "region": "eu-west-1", "name": "q",
                    "tags": {"k": "v"}, "count": 1}, ...],
     "tag":   [{"arn": "...", "region": "...", "tags": {"k": "v"}}, ...],
     "untag": [{"arn": "...", "region": "...", "keys": ["k"]}, ...]}
all three optional, done in that order. `count` > 1 creates NAME-0 ..
NAME-(count-1); EC2 resources get the name as their `Name` tag. `tag` and
`untag` use the Resource Groups Tagging API; for the sqs and ssm ARNs that
moto's refuses ("not yet supported"), the service's own API; any other
refusal fails the run.

Prints one JSON document:
    {"resources": [{"kind", "region", "name", "arn", "id", "tags"}, ...]}
in spec order, `id` being what Terraform state records as the resource's id.
Errors: a message on stderr and exit code 1. Credentials are `testing`.
Run with the moto venv's python (scripts/install-toolchains.sh moto).
"""

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


def tag_list(tags: dict[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in tags.items()]


def ec2_tag_spec(kind: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": tag_list(tags)}] if tags else []


def ec2_arn(region: str, kind: str, ident: str) -> str:
    return f"arn:aws:ec2:{region}:{ACCOUNT}:{kind}/{ident}"


# Creators: (clients, region, name, tags) -> (arn, id). EC2 creators get the
# Name tag already merged into `tags`.


def create_s3_bucket(c: Clients, region: str, name: str, tags: dict[str, str]) -> tuple[str, str]:
    s3 = c("s3", region)
    args: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**args)
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(tags)})
    return f"arn:aws:s3:::{name}", name


def create_ec2_volume(c: Clients, region: str, name: str, tags: dict[str, str]) -> tuple[str, str]:
    vol = c("ec2", region).create_volume(
        AvailabilityZone=f"{region}a", Size=1, TagSpecifications=ec2_tag_spec("volume", tags)
    )
    return ec2_arn(region, "volume", vol["VolumeId"]), vol["VolumeId"]


def create_ec2_vpc(c: Clients, region: str, name: str, tags: dict[str, str]) -> tuple[str, str]:
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


def create_ec2_subnet(c: Clients, region: str, name: str, tags: dict[str, str]) -> tuple[str, str]:
    vpc, cidr = SUBNETS.next(c, region)
    sub = c("ec2", region).create_subnet(
        VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{region}a", TagSpecifications=ec2_tag_spec("subnet", tags)
    )["Subnet"]
    return ec2_arn(region, "subnet", sub["SubnetId"]), sub["SubnetId"]


def create_ec2_security_group(c: Clients, region: str, name: str, tags: dict[str, str]) -> tuple[str, str]:
    group = c("ec2", region).create_security_group(
        GroupName=name, Description=f"palisade test {name}", TagSpecifications=ec2_tag_spec("security-group", tags)
    )
    return ec2_arn(region, "security-group", group["GroupId"]), group["GroupId"]


def create_sqs_queue(c: Clients, region: str, name: str, tags: dict[str, str]) -> tuple[str, str]:
    url = c("sqs", region).create_queue(QueueName=name, tags=tags)["QueueUrl"]
    return f"arn:aws:sqs:{region}:{ACCOUNT}:{name}", url


def create_sns_topic(c: Clients, region: str, name: str, tags: dict[str, str]) -> tuple[str, str]:
    args: dict[str, Any] = {"Name": name}
    if tags:
        args["Tags"] = tag_list(tags)
    arn = c("sns", region).create_topic(**args)["TopicArn"]
    return arn, arn


def create_dynamodb_table(c: Clients, region: str, name: str, tags: dict[str, str]) -> tuple[str, str]:
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


def create_logs_log_group(c: Clients, region: str, name: str, tags: dict[str, str]) -> tuple[str, str]:
    args: dict[str, Any] = {"logGroupName": name}
    if tags:
        args["tags"] = tags
    c("logs", region).create_log_group(**args)
    return f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}", name


def create_kms_key(c: Clients, region: str, name: str, tags: dict[str, str]) -> tuple[str, str]:
    # A key has no name: it goes in the description.
    meta = c("kms", region).create_key(Description=name, Tags=tag_list(tags, "TagKey", "TagValue"))["KeyMetadata"]
    return meta["Arn"], meta["KeyId"]


def create_secretsmanager_secret(c: Clients, region: str, name: str, tags: dict[str, str]) -> tuple[str, str]:
    args: dict[str, Any] = {"Name": name, "SecretString": "palisade-test"}
    if tags:
        args["Tags"] = tag_list(tags)
    arn = c("secretsmanager", region).create_secret(**args)["ARN"]
    return arn, arn


def create_ssm_parameter(c: Clients, region: str, name: str, tags: dict[str, str]) -> tuple[str, str]:
    args: dict[str, Any] = {"Name": name, "Value": "palisade-test", "Type": "String"}
    if tags:
        args["Tags"] = tag_list(tags)
    c("ssm", region).put_parameter(**args)
    return f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{name.lstrip('/')}", name


def lambda_role(c: Clients) -> str:
    """An IAM role for Lambda functions (moto checks the role exists)."""

    def make() -> str:
        iam = c("iam", "us-east-1")
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
        try:
            return iam.create_role(RoleName="palisade-seed-lambda", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        except iam.exceptions.EntityAlreadyExistsException:
            return iam.get_role(RoleName="palisade-seed-lambda")["Role"]["Arn"]

    return c.memo(("iam-role", "lambda"), make)


def lambda_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


LAMBDA_ZIP = lambda_zip()


def create_lambda_function(c: Clients, region: str, name: str, tags: dict[str, str]) -> tuple[str, str]:
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


CREATORS: dict[str, Callable[[Clients, str, str, dict[str, str]], tuple[str, str]]] = {
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
}
KINDS = sorted([*CREATORS, "ec2_instance"])


def create_instances(c: Clients, region: str, names: list[str], tags: dict[str, str]) -> list[tuple[str, str]]:
    """EC2 instances of one spec entry, in one RunInstances call; then the
    Name tag of each (when names differ)."""
    ec2 = c("ec2", region)
    common = dict(tags)
    if len(names) == 1:
        common["Name"] = names[0]
    found = ec2.run_instances(
        ImageId=AMI,
        InstanceType="t3.micro",
        MinCount=len(names),
        MaxCount=len(names),
        TagSpecifications=ec2_tag_spec("instance", common),
    )["Instances"]
    ids = [i["InstanceId"] for i in found]
    if len(names) > 1:
        for ident, name in zip(ids, names):
            ec2.create_tags(Resources=[ident], Tags=[{"Key": "Name", "Value": name}])
    return [(ec2_arn(region, "instance", ident), ident) for ident in ids]


def entry_field(entry: dict[str, Any], index: int) -> tuple[str, str, str, dict[str, str], int]:
    where = f"resources[{index}]"
    if not isinstance(entry, dict):
        raise SpecError(f"{where}: not an object")
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
    return kind, region, name, tags, count


def seed(c: Clients, entries: list[Any]) -> list[dict[str, Any]]:
    """Create every resource, in parallel, and return them in spec order."""
    jobs: list[tuple[str, str, list[str], dict[str, str]]] = []
    for index, entry in enumerate(entries):
        kind, region, name, tags, count = entry_field(entry, index)
        names = [name] if count == 1 else [f"{name}-{i}" for i in range(count)]
        jobs.append((kind, region, names, tags))

    def one(kind: str, region: str, name: str, tags: dict[str, str]) -> dict[str, Any]:
        all_tags = {"Name": name, **tags} if kind.startswith("ec2_") else dict(tags)
        try:
            arn, ident = CREATORS[kind](c, region, name, all_tags)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
            raise SpecError(f"cannot create {kind} {name!r} in {region}: {err}") from err
        return {"kind": kind, "region": region, "name": name, "arn": arn, "id": ident, "tags": all_tags}

    def instances(region: str, names: list[str], tags: dict[str, str]) -> list[dict[str, Any]]:
        try:
            made = create_instances(c, region, names, tags) if names else []
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
            raise SpecError(f"cannot create ec2_instance {names[0]!r}.. in {region}: {err}") from err
        return [
            {"kind": "ec2_instance", "region": region, "name": n, "arn": arn, "id": ident, "tags": {"Name": n, **tags}}
            for n, (arn, ident) in zip(names, made)
        ]

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = []
        for kind, region, names, tags in jobs:
            if kind == "ec2_instance":
                futures.append(("many", pool.submit(instances, region, names, tags)))
            else:
                futures.extend(("one", pool.submit(one, kind, region, n, tags)) for n in names)
        out: list[dict[str, Any]] = []
        for shape, future in futures:
            if shape == "many":
                out.extend(future.result())
            else:
                out.append(future.result())
        return out


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
        rest = rest[len("parameter/"):]
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
        if not isinstance(entry, dict) or not isinstance(entry.get("arn"), str) or not isinstance(entry.get("region"), str):
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
        for key in ("resources", "tag", "untag"):
            if not isinstance(spec.get(key, []), list):
                raise SpecError(f"`{key}` must be a list")
        clients = Clients(endpoint)
        made = seed(clients, spec.get("resources", []))
        retag(clients, spec.get("tag", []), untag=False)
        retag(clients, spec.get("untag", []), untag=True)
    except (OSError, ValueError, SpecError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
        print(f"seed.py: {err}", file=sys.stderr)
        return 1
    json.dump({"resources": made}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
