"""Create in moto the resources of a real Terraform state, plan or Pulumi
export; print the same document with only its identities rewritten to moto's.

    AWS_ENDPOINT_URL=http://127.0.0.1:PORT from_state.py INPUT [--region R]
        [--types T1,T2] [--prefix P] [--map FILE]

INPUT: a Terraform state v4; a plan (`terraform show -json`: its prior_state
records when it has managed ones, else planned_values; UTF-16 with a BOM
too); a Pulumi stack export or checkpoint (camelCase outputs). All goes to
region R (default: the one region of the records' ARNs, else us-east-1) of
moto's account; `--types` keeps those types (Terraform or Pulumi names).

Types (Pulumi's: PULUMI): aws_security_group (and inline rules),
aws_security_group_rule, aws_vpc_security_group_{ingress,egress}_rule,
aws_s3_bucket (inline versioning, encryption, acl/grant, policy, logging,
object lock) and aws_s3_bucket_{versioning,acl,policy,logging,
server_side_encryption_configuration,public_access_block}, aws_ebs_volume,
aws_instance, aws_db_instance, aws_kms_key, aws_iam_role (trust, inline and
managed policies, boundary), aws_iam_role_policy_attachment. Each is made
from the record's own attributes (tags: tags_all, what AWS holds), parents
first; a plan's child with an unknown parent reference follows the plan's
`configuration` references.

What the file refers to but does not create gets a stand-in, tagged
`palisade-stand-in` = the old id (for ignore rules): a VPC (none named: the
default VPC), a subnet (the VPC's holding the private IP, else one in the
zone, else a new one), a security group ("default": the VPC's own), a
prefix list, a KMS key, a logging target bucket, an IAM role, an instance
profile, RDS parameter/option/subnet groups, and for a policy ARN moto lacks
a customer managed policy of that path and name (AWS's document when moto's
data has it). New security groups lose AWS's default egress rule, as
Terraform's do.

Output (stdout): the same document (a plan becomes a state v4 of the records
used) with only the records created and only identities rewritten: ids,
ARNs, owner/account ids, region, zones, VPC, subnet, security group, prefix
list, volume, network interface, KMS key and policy ARNs, bucket names and
domain names, role names and unique ids, RDS resource ids and endpoints, S3
canonical owner ids, sgrule- ids (recomputed as the provider does), the
file's account ids and renamed buckets inside policies. A plan's unknown
identities are filled in. Names get `--prefix` (default p18-) only for
uniqueness: every bucket, any other name taken. Pulumi keeps its stack,
providers and components; other records are dropped.

The map (--map FILE, else stderr) is JSON: {"input", "region", "ids": {old:
new}, "resources": [{"address", "type", "id", "arn"}], "stand_ins": [{"for",
"kind", "id"}], "differs": [{"address", "attribute", "declared", "moto"}]
(declared values moto got something else for), "dropped": [addresses]}.
Errors: exit 1, naming the file and the record's address. Run with the moto
venv's python (scripts/install-toolchains.sh moto).
"""

import argparse
import datetime
import ipaddress
import itertools
import json
import os
import re
import sys
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import botocore.exceptions
import botocore.parsers

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seed  # noqa: E402  (its Clients, account, AMI, password, tag helpers)

A = seed.ACCOUNT
PULUMI = {f"aws:{k}": v for k, v in {
    "ec2/securityGroup:SecurityGroup": "aws_security_group",
    "ec2/securityGroupRule:SecurityGroupRule": "aws_security_group_rule",
    "vpc/securityGroupIngressRule:SecurityGroupIngressRule": "aws_vpc_security_group_ingress_rule",
    "vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
    "s3/bucket:Bucket": "aws_s3_bucket", "s3/bucketV2:BucketV2": "aws_s3_bucket",
    "s3/bucketVersioningV2:BucketVersioningV2": "aws_s3_bucket_versioning",
    "s3/bucketAclV2:BucketAclV2": "aws_s3_bucket_acl",
    "s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2":
        "aws_s3_bucket_server_side_encryption_configuration",
    "s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "s3/bucketLoggingV2:BucketLoggingV2": "aws_s3_bucket_logging",
    "s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "ebs/volume:Volume": "aws_ebs_volume", "ec2/instance:Instance": "aws_instance",
    "rds/instance:Instance": "aws_db_instance", "kms/key:Key": "aws_kms_key", "iam/role:Role": "aws_iam_role",
    "iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment"}.items()}
# Keys whose strings (or lists of strings) are identities, rewritten through the id map.
ID_KEYS = {"id", "arn", "owner_id", "account_id", "vpc_id", "security_group_id", "source_security_group_id",
           "referenced_security_group_id", "prefix_list_id", "prefix_list_ids", "security_groups", "subnet_id",
           "vpc_security_group_ids", "kms_key_id", "kms_master_key_id", "policy_arn", "managed_policy_arns",
           "permissions_boundary", "availability_zone", "region", "volume_id", "primary_network_interface_id",
           "unique_id", "resource_id", "address", "endpoint"}
NAME_KEYS = {"bucket": "bucket", "target_bucket": "bucket", "role": "role"}  # names, mapped per kind
ARN_PLACE = re.compile(r"arn:aws[\w-]*:[\w-]+:([a-z]{2}(?:-[a-z]+)+-\d)?:(\d{12})?:")
FILLER_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity",
                                                         "Resource": "*"}]}
STAND_IN = "palisade-stand-in"
# aws_db_instance attributes given to CreateDBInstance as they are (API names: api_name(), else DB_API).
DB_KEYS = ("engine_version", "storage_type", "iops", "storage_throughput", "db_name", "port", "storage_encrypted",
           "multi_az", "backup_retention_period", "backup_window", "maintenance_window", "auto_minor_version_upgrade",
           "copy_tags_to_snapshot", "deletion_protection", "iam_database_authentication_enabled", "ca_cert_identifier",
           "network_type", "max_allocated_storage", "license_model", "character_set_name", "monitoring_interval",
           "enabled_cloudwatch_logs_exports", "performance_insights_enabled")
DB_API = {"db_name": "DBName", "multi_az": "MultiAZ", "backup_window": "PreferredBackupWindow",
          "maintenance_window": "PreferredMaintenanceWindow", "ca_cert_identifier": "CACertificateIdentifier",
          "iam_database_authentication_enabled": "EnableIAMDatabaseAuthentication",
          "enabled_cloudwatch_logs_exports": "EnableCloudwatchLogsExports",
          "performance_insights_enabled": "EnablePerformanceInsights"}
ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, botocore.parsers.ResponseParserError,
          KeyError, TypeError, ValueError, IndexError, StopIteration)


class Failed(Exception):
    pass


def snake(k: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", k).lower()


def camel(k: str) -> str:
    head, *rest = k.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


# Pulumi's BucketV2 names its list blocks in the plural.
PLURALS = {"versionings": "versioning", "server_side_encryption_configurations": "server_side_encryption_configuration",
           "rules": "rule", "apply_server_side_encryption_by_defaults": "apply_server_side_encryption_by_default",
           "loggings": "logging", "grants": "grant"}


def snaked(v: Any) -> Any:
    """A Pulumi value with Terraform's names."""
    if isinstance(v, dict):
        return {PLURALS.get(snake(k), snake(k)): snaked(x) for k, x in v.items() if not k.startswith("__")}
    return [snaked(x) for x in v] if isinstance(v, list) else v


def blocks(v: Any) -> list[dict[str, Any]]:
    """A nested block as a list (Terraform: a list; Pulumi: an object when MaxItems is 1)."""
    return [b for b in v if isinstance(b, dict)] if isinstance(v, list) else [v] if isinstance(v, dict) else []


def one(v: Any) -> dict[str, Any]:
    return (blocks(v) or [{}])[0]


def stamp(counter: Any = itertools.count(1)) -> str:
    """What Terraform appends to a name prefix (26 digits)."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S") + f"{next(counter):012d}"


def candidates(name: str, prefix: str) -> list[str]:
    """Names to try, in order, until one is free: NAME, PREFIXNAME, PREFIXNAME-2, ..."""
    return [name, prefix + name] + [f"{prefix}{name}-{i}" for i in range(2, 10)]


def api_name(key: str) -> str:
    return "".join(p.title() for p in key.split("_"))


@dataclass
class Rec:
    address: str
    type: str
    attrs: dict[str, Any]  # snake_case (a Pulumi record's: a converted copy of its outputs)
    out: dict[str, Any]  # where identities are written: state attributes, Pulumi outputs
    pulumi: dict[str, Any] | None = None
    module: str = ""
    fill: bool = False  # a plan's record: unknown identities are added
    new: dict[str, Any] = field(default_factory=dict)


def read_json(path: str) -> Any:
    with open(path, "rb") as f:
        raw = f.read()
    return json.loads(raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8-sig"))


def plan_to_state(plan: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A state v4 of a plan's prior_state (else planned_values) managed records,
    and the configuration's expressions by address (without index)."""

    def walk(module: dict[str, Any]) -> Any:
        yield from ((module.get("address", ""), r) for r in module.get("resources", []))
        for child in module.get("child_modules", []):
            yield from walk(child)

    prior = ((plan.get("prior_state") or {}).get("values") or {}).get("root_module") or {}
    if not any(r.get("mode") == "managed" for _, r in walk(prior)):
        prior = (plan.get("planned_values") or {}).get("root_module") or {}
    resources: dict[tuple[str, str, str], dict[str, Any]] = {}
    for module, r in walk(prior):
        if r.get("mode") == "managed":
            provider = r.get("provider_name", "registry.terraform.io/hashicorp/aws")
            res = resources.setdefault((module, r["type"], r["name"]), {
                **({"module": module} if module else {}), "mode": "managed", "type": r["type"], "name": r["name"],
                "provider": f'provider["{provider}"]', "instances": []})
            res["instances"].append({**({"index_key": r["index"]} if "index" in r else {}),
                                     "schema_version": r.get("schema_version", 0),
                                     "attributes": dict(r.get("values") or {}), "sensitive_attributes": []})
    config: dict[str, Any] = {}

    def conf(module: dict[str, Any], prefix: str) -> None:
        config.update({prefix + r["address"]: r.get("expressions") or {} for r in module.get("resources", [])})
        for name, call in (module.get("module_calls") or {}).items():
            conf(call.get("module") or {}, f"{prefix}module.{name}.")

    conf((plan.get("configuration") or {}).get("root_module") or {}, "")
    return {"version": 4, "terraform_version": plan.get("terraform_version", ""), "serial": 1, "lineage": "from-plan",
            "outputs": {}, "resources": list(resources.values())}, config


def load(path: str, types: set[str] | None) -> tuple[str, Any, list[Rec], list[str], dict[str, Any]]:
    doc, config, fill, recs, dropped = read_json(path), {}, False, [], []
    if isinstance(doc, dict) and ("deployment" in doc or "checkpoint" in doc):
        for r in (doc.get("deployment") or (doc.get("checkpoint") or {}).get("latest") or {}).get("resources") or []:
            ty = PULUMI.get(r.get("type", ""))
            if ty and r.get("custom") and not r.get("delete") and (not types or {ty, r["type"]} & types):
                r["outputs"] = r.get("outputs") or {}
                recs.append(Rec(r["urn"], ty, snaked(r["outputs"] or r.get("inputs") or {}), r["outputs"], r))
            elif r.get("custom") and not r.get("type", "").startswith("pulumi:"):
                dropped.append(r.get("urn", "?"))
        return "pulumi", doc, recs, dropped, config
    if isinstance(doc, dict) and ("planned_values" in doc or "prior_state" in doc):
        (doc, config), fill = plan_to_state(doc), True
    if not (isinstance(doc, dict) and doc.get("version") == 4 and isinstance(doc.get("resources"), list)):
        raise Failed("not a Terraform state v4, a Terraform plan or a Pulumi export")
    for res in doc["resources"]:
        module = res.get("module", "")
        base = ("data." if res.get("mode") == "data" else "") + f"{res['type']}.{res['name']}"
        for inst in res.get("instances", []):
            key = inst.get("index_key")
            addr = (f"{module}." if module else "") + base + ("" if key is None else f"[{json.dumps(key)}]")
            if res.get("mode") == "managed" and res["type"] in STEPS and (not types or res["type"] in types):
                recs.append(Rec(addr, res["type"], inst["attributes"], inst["attributes"], module=module, fill=fill))
            else:
                dropped.append(addr)
    return "tfstate", doc, recs, dropped, config


def sgrule_id(gid: str, kind: str, perm: dict[str, Any]) -> str:
    """The provider's aws_security_group_rule id: crc32 of the rule (SecurityGroupRuleCreateID)."""
    buf = f"{gid}-" + "".join(f"{perm[k]}-" for k in ("FromPort", "ToPort") if perm.get(k, 0) > 0)
    buf += f"{perm['IpProtocol']}-{kind}-"
    for key, fld in (("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6"), ("PrefixListIds", "PrefixListId")):
        buf += "".join(f"{v}-" for v in sorted(x[fld] for x in perm.get(key, [])))
    buf += "".join(f"{g}--" for g in sorted(x["GroupId"] for x in perm.get("UserIdGroupPairs", [])))
    return f"sgrule-{zlib.crc32(buf.encode())}"


class Builder:
    def __init__(self, c: seed.Clients, region: str, prefix: str, config: dict[str, Any]) -> None:
        self.c, self.region, self.prefix, self.config = c, region, prefix, config
        self.ec2, self.s3, self.iam = c("ec2", region), c("s3", region), c("iam", "us-east-1")
        self.ids: dict[str, str] = {}
        self.names: dict[str, dict[str, str]] = {"bucket": {}, "role": {}}
        self.made: dict[str, Rec] = {}
        self.stand_ins: list[dict[str, str]] = []
        self.differs: list[dict[str, Any]] = []
        self.buckets: set[str] = set()
        self.rec: Rec | None = None

    # -- identities and stand-ins -------------------------------------------------
    def own(self, r: Rec, **new: Any) -> None:
        """`r`'s new identities; the old values of those keys map to them."""
        for k, v in new.items():
            if isinstance(r.attrs.get(k), str) and r.attrs[k] and isinstance(v, str) and k != "name":
                (self.names[NAME_KEYS[k]] if k in NAME_KEYS else self.ids)[r.attrs[k]] = v
            r.new[k] = v

    def differ(self, attribute: str, declared: Any, moto: Any) -> None:
        address = self.rec.address if self.rec else "?"
        self.differs.append({"address": address, "attribute": attribute, "declared": declared, "moto": moto})

    def stand_in(self, old: str, kind: str, make: Callable[[], str], found: Callable[[], str] | None = None) -> str:
        """The stand-in for `old`: made once; `found()` when an earlier run made it (a name taken)."""
        if old not in self.ids:
            try:
                self.ids[old] = make()
            except botocore.exceptions.ClientError as err:
                if not found or not re.search("Exist|Duplicate", err.response["Error"]["Code"]):
                    raise
                self.ids[old] = found()
            self.stand_ins.append({"for": old, "kind": kind, "id": self.ids[old]})
        return self.ids[old]

    def mark(self, kind: str, old: str) -> list[dict[str, Any]]:
        return seed.ec2_tag_spec(kind, {STAND_IN: old})

    def tags(self, r: Rec) -> dict[str, str]:
        """The tags on AWS: `tags_all` (the provider's default tags too), else `tags`."""
        tags = r.attrs.get("tags_all") if isinstance(r.attrs.get("tags_all"), dict) else r.attrs.get("tags")
        return {k: str(v) for k, v in (tags or {}).items()}

    def text(self, doc: Any, attribute: str | None) -> str:
        """A policy document with the file's account ids and renamed buckets rewritten (in the record too)."""
        s = out = doc if isinstance(doc, str) else json.dumps(doc)
        for old in (k for k, v in self.ids.items() if v == A and k != A):
            out = out.replace(old, A)
        for old, new in self.names["bucket"].items():
            out = re.sub(rf"arn:aws:s3:::{re.escape(old)}(?=[/\"*]|$)", f"arn:aws:s3:::{new}", out)
        if out != s and self.rec and attribute:
            self.rec.new[attribute] = out
        return out

    def zone(self, old: str | None) -> str:
        zones = sorted(z["ZoneName"] for z in self.ec2.describe_availability_zones()["AvailabilityZones"])
        want = self.ids.get(old or "", f"{self.region}{(old or 'a')[-1]}")
        new = want if want in zones else zones[0]
        if old:
            self.ids[old] = new
        return new

    def default_vpc(self) -> str:
        return self.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]

    def vpc_of(self, gids: list[str]) -> str:
        return (self.ec2.describe_security_groups(GroupIds=gids[:1])["SecurityGroups"][0]["VpcId"] if gids
                else self.default_vpc())

    def vpc(self, old: str | None) -> str:
        make = lambda: self.ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=self.mark("vpc", old or ""))
        return self.stand_in(old, "vpc", lambda: make()["Vpc"]["VpcId"]) if old else self.default_vpc()

    def sg(self, old: str, vpc: str | None = None, name: str | None = None) -> str:
        vpc = vpc or self.default_vpc()
        if name == "default":
            found = self.ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                               {"Name": "group-name", "Values": ["default"]}])
            return self.stand_in(old, "security group (the VPC's default)",
                                 lambda: found["SecurityGroups"][0]["GroupId"])

        def make() -> str:
            gid = self.ec2.create_security_group(GroupName=name or self.prefix + old, VpcId=vpc,
                                                 Description=f"stand-in for {old}",
                                                 TagSpecifications=self.mark("security-group", old))["GroupId"]
            self.revoke_default_egress(gid)
            return gid

        found = lambda: self.ec2.describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": [name or self.prefix + old]}])[
            "SecurityGroups"][0]["GroupId"]
        return self.stand_in(old, "security group", make, found)

    def revoke_default_egress(self, gid: str) -> None:
        self.ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])

    def prefix_list(self, old: str) -> str:
        return self.stand_in(old, "managed prefix list", lambda: self.ec2.create_managed_prefix_list(
            PrefixListName=self.prefix + old, MaxEntries=5, AddressFamily="IPv4", Entries=[{"Cidr": "192.0.2.0/24"}],
            TagSpecifications=self.mark("prefix-list", old))["PrefixList"]["PrefixListId"])

    def subnet(self, old: str | None, vpc: str, zone: str, ip: str | None = None) -> dict[str, Any]:
        """A subnet of `vpc`: the one holding `ip`, else one in `zone`, else a new one."""
        found = self.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        if old in self.ids:
            return next(s for s in found if s["SubnetId"] == self.ids[old])
        fits = [s for s in found if ip and ipaddress.ip_address(ip) in ipaddress.ip_network(s["CidrBlock"])]
        sub = (fits or [s for s in found if s["AvailabilityZone"] == zone] or [None])[0]
        if sub is None:
            base = ipaddress.ip_network(self.ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlock"])
            nets = list(base.subnets(new_prefix=max(base.prefixlen, 24)))
            cidr = next((n for n in nets if ip and ipaddress.ip_address(ip) in n), nets[-1 - len(found)])
            sub = self.ec2.create_subnet(VpcId=vpc, CidrBlock=str(cidr), AvailabilityZone=zone,
                                         TagSpecifications=self.mark("subnet", old or vpc))["Subnet"]
        if old:
            self.stand_in(old, "subnet", lambda: sub["SubnetId"])
        return sub

    def kms(self, old: str) -> str:
        def make() -> str:
            key = self.c("kms", self.region).create_key(Description=f"stand-in for {old}",
                                                        Tags=[{"TagKey": STAND_IN, "TagValue": old}])["KeyMetadata"]
            return key["Arn"] if old.startswith("arn:") else key["KeyId"]

        return self.stand_in(old, "kms key", make)

    def policy_arn(self, old: str | None, label: str) -> str:
        """`old` if moto has it, else a customer managed policy of its path and name (`label`'s when empty)."""
        if old:
            try:
                return self.ids.get(old) or self.iam.get_policy(PolicyArn=old)["Policy"]["Arn"]
            except self.iam.exceptions.NoSuchEntityException:
                pass
        m = re.match(r"arn:aws[\w-]*:iam::[^:]*:policy(/(?:.*/)?)([^/]+)$", old or "")
        path, name = (m.group(1), m.group(2)) if m else ("/", self.prefix + re.sub(r"[^\w+=,.@-]", "-", label)[-100:])
        try:
            import moto.iam.aws_managed_policies as managed

            doc = json.loads(managed.aws_managed_policies_data).get(name, {}).get("Document", FILLER_POLICY)
        except (ImportError, AttributeError, ValueError):
            doc = FILLER_POLICY
        make = lambda: self.iam.create_policy(PolicyName=name, Path=path, PolicyDocument=json.dumps(doc), Tags=[
            {"Key": STAND_IN, "Value": old or label}])["Policy"]["Arn"]
        return self.stand_in(old or f'{label}: ""', "customer managed policy", make,
                             lambda: f"arn:aws:iam::{A}:policy{path}{name}")

    def parent(self, r: Rec, key: str, ty: str) -> Rec | None:
        """The created record of type `ty` that `r.attrs[key]` names, else the one the plan's configuration
        references."""
        old = r.attrs.get(key)
        for p in self.made.values():
            if p.type == ty and old and old in (p.attrs.get(k) for k in ("id", "name", "bucket", "arn")):
                return p
        mod = f"{r.module}." if r.module else ""
        for ref in (self.config.get(re.sub(r"\[[^\]]*\]$", "", r.address)) or {}).get(key, {}).get("references", []):
            while ref:
                if mod + ref in self.made and self.made[mod + ref].type == ty:
                    return self.made[mod + ref]
                ref = ref.rpartition(".")[0]
        return None

    def bucket(self, name: str, tags: dict[str, str], lock: bool = False) -> str:
        """Create bucket `--prefix`NAME (NAME-2, ... when taken)."""
        new = next(n for n in candidates(name, self.prefix)[1:] if n not in self.buckets and not self.bucket_exists(n))
        self.buckets.add(new)
        where = {} if self.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": self.region}}
        self.s3.create_bucket(Bucket=new, ObjectLockEnabledForBucket=lock, **where)
        if tags:
            self.s3.put_bucket_tagging(Bucket=new, Tagging={"TagSet": seed.tag_list(tags)})
        return new

    def bucket_exists(self, name: str) -> bool:
        try:
            self.s3.head_bucket(Bucket=name)
            return True
        except botocore.exceptions.ClientError:
            return False

    def bucket_of(self, r: Rec) -> str:
        p = self.parent(r, "bucket", "aws_s3_bucket")
        return p.new["bucket"] if p else self.named_bucket(r.attrs.get("bucket"))

    def named_bucket(self, old: str | None) -> str:
        """The new name of bucket `old` (a stand-in when the file does not create it)."""
        if not old:
            raise Failed("its bucket is unknown and no created bucket is referenced")
        if old not in self.names["bucket"]:
            self.names["bucket"][old] = self.bucket(old, {STAND_IN: old})
            self.stand_ins.append({"for": old, "kind": "bucket", "id": self.names["bucket"][old]})
        return self.names["bucket"][old]

    def ip_permission(self, rule: dict[str, Any], gid: str, vpc: str) -> dict[str, Any]:
        """An inline ingress/egress block or an aws_security_group_rule as an EC2 IpPermission."""
        proto = str(rule.get("protocol", "-1")).replace("all", "-1")
        perm: dict[str, Any] = {"IpProtocol": proto}
        if proto != "-1":
            perm["FromPort"], perm["ToPort"] = int(rule.get("from_port") or 0), int(rule.get("to_port") or 0)
        d = {"Description": rule["description"]} if rule.get("description") else {}
        groups = [self.sg(g, vpc) for g in rule.get("security_groups") or []]
        groups += [self.sg(rule["source_security_group_id"], vpc)] if rule.get("source_security_group_id") else []
        groups += [gid] if rule.get("self") else []
        for key, fld, items in (("IpRanges", "CidrIp", rule.get("cidr_blocks")),
                                ("Ipv6Ranges", "CidrIpv6", rule.get("ipv6_cidr_blocks")),
                                ("PrefixListIds", "PrefixListId", [self.prefix_list(p) for p in
                                                                   rule.get("prefix_list_ids") or []]),
                                ("UserIdGroupPairs", "GroupId", list(dict.fromkeys(groups)))):
            if items:
                perm[key] = [{fld: x, **d} for x in items]
        return perm

    def authorize(self, gid: str, egress: bool, perm: dict[str, Any], tags: dict[str, str] | None = None) -> Any:
        """Authorize `perm`; None when the group has it already."""
        call = self.ec2.authorize_security_group_egress if egress else self.ec2.authorize_security_group_ingress
        try:
            return call(GroupId=gid, IpPermissions=[perm], TagSpecifications=seed.ec2_tag_spec(
                "security-group-rule", tags or {}))
        except botocore.exceptions.ClientError as err:
            if err.response["Error"]["Code"] != "InvalidPermission.Duplicate":
                raise
            return None

    # -- creators -------------------------------------------------------------------
    def kms_key(self, r: Rec) -> None:
        a, kms = r.attrs, self.c("kms", self.region)
        args: dict[str, Any] = {"KeySpec": a.get("customer_master_key_spec") or "SYMMETRIC_DEFAULT",
                                "KeyUsage": a.get("key_usage") or "ENCRYPT_DECRYPT",
                                "MultiRegion": bool(a.get("multi_region")),
                                "BypassPolicyLockoutSafetyCheck": bool(a.get("bypass_policy_lockout_safety_check")),
                                "Tags": seed.tag_list(self.tags(r), "TagKey", "TagValue")}
        if a.get("description") is not None:
            args["Description"] = a["description"]
        if a.get("policy"):
            args["Policy"] = self.text(a["policy"], "policy")
        key = kms.create_key(**args)["KeyMetadata"]["KeyId"]
        if a.get("enable_key_rotation"):
            period = a.get("rotation_period_in_days")
            kms.enable_key_rotation(KeyId=key, **({"RotationPeriodInDays": period} if period else {}))
        if a.get("is_enabled") is False:
            kms.disable_key(KeyId=key)
        self.own(r, id=key, key_id=key, arn=f"arn:aws:kms:{self.region}:{A}:key/{key}")

    def iam_role(self, r: Rec) -> None:
        a, trust = r.attrs, r.attrs.get("assume_role_policy")
        if not trust:
            self.differ("assume_role_policy", trust, json.dumps(seed.EC2_TRUST))
        args: dict[str, Any] = {"Path": a.get("path") or "/", "Description": a.get("description") or "",
                                "MaxSessionDuration": a.get("max_session_duration") or 3600,
                                "AssumeRolePolicyDocument": self.text(trust or seed.EC2_TRUST, "assume_role_policy"),
                                "Tags": seed.tag_list(self.tags(r))}
        if a.get("permissions_boundary"):
            args["PermissionsBoundary"] = self.policy_arn(a["permissions_boundary"], r.address + "-boundary")
        name = a.get("name") or (a.get("name_prefix") or "terraform-") + stamp()
        for candidate in candidates(name, self.prefix):
            try:
                role = self.iam.create_role(RoleName=candidate[:64], **args)["Role"]
                break
            except self.iam.exceptions.EntityAlreadyExistsException:
                continue
        else:
            raise Failed(f"role name {name!r} is taken")
        new = role["RoleName"]
        for p in blocks(a.get("inline_policy")) + blocks(a.get("inline_policies")):
            if p.get("name"):
                if not p.get("policy"):
                    self.differ(f"inline_policy[{p['name']}].policy", p.get("policy"), json.dumps(FILLER_POLICY))
                self.iam.put_role_policy(RoleName=new, PolicyName=p["name"],
                                         PolicyDocument=self.text(p.get("policy") or FILLER_POLICY, None))
        for arn in a.get("managed_policy_arns") or []:
            self.iam.attach_role_policy(RoleName=new, PolicyArn=self.policy_arn(arn, r.address))
        self.own(r, id=new, arn=role["Arn"], unique_id=role["RoleId"])
        self.names["role"][a.get("name") or a.get("id") or new] = new
        if new != a.get("name"):
            r.new["name"] = new

    def security_group(self, r: Rec) -> None:
        a, vpc = r.attrs, self.vpc(r.attrs.get("vpc_id"))
        name = a.get("name") or (a.get("name_prefix") or "terraform-") + stamp()
        if not a.get("description"):
            self.differ("description", a.get("description"), "Managed by Terraform")
        for new in candidates(name, self.prefix):
            try:
                gid = self.ec2.create_security_group(
                    GroupName=new, Description=a.get("description") or "Managed by Terraform", VpcId=vpc,
                    TagSpecifications=seed.ec2_tag_spec("security-group", self.tags(r)))["GroupId"]
                break
            except botocore.exceptions.ClientError as err:
                if err.response["Error"]["Code"] not in ("InvalidGroup.Duplicate", "InvalidGroup.Reserved"):
                    raise
        else:
            raise Failed(f"group name {name!r} is taken")
        self.revoke_default_egress(gid)
        self.own(r, id=gid, arn=seed.ec2_arn(self.region, "security-group", gid), owner_id=A, vpc_id=vpc)
        if new != a.get("name"):
            r.new["name"] = new

    def security_group_rules(self, r: Rec) -> None:
        for kind in ("ingress", "egress"):
            for rule in blocks(r.attrs.get(kind)):
                self.authorize(r.new["id"], kind == "egress", self.ip_permission(rule, r.new["id"], r.new["vpc_id"]))

    def group_of(self, r: Rec) -> tuple[str, str]:
        """The new id and VPC of the security group `r` belongs to."""
        p = self.parent(r, "security_group_id", "aws_security_group")
        gid = p.new["id"] if p else self.sg(r.attrs["security_group_id"])
        return gid, p.new["vpc_id"] if p else self.vpc_of([gid])

    def security_group_rule(self, r: Rec) -> None:
        a, (gid, vpc) = r.attrs, self.group_of(r)
        perm = self.ip_permission(a, gid, vpc)
        self.authorize(gid, a.get("type") == "egress", perm)
        src = a.get("source_security_group_id") and perm["UserIdGroupPairs"][0]["GroupId"]
        self.own(r, id=sgrule_id(gid, str(a.get("type")), perm), security_group_id=gid,
                 **({"source_security_group_id": src} if src else {}))

    def vpc_rule(self, r: Rec) -> None:
        a, (gid, vpc) = r.attrs, self.group_of(r)
        perm: dict[str, Any] = {"IpProtocol": str(a.get("ip_protocol"))}
        if a.get("from_port") is not None:
            perm["FromPort"], perm["ToPort"] = a["from_port"], a.get("to_port")
        d = {"Description": a["description"]} if a.get("description") else {}
        pl, ref = a.get("prefix_list_id"), a.get("referenced_security_group_id")
        for key, fld, value in (("IpRanges", "CidrIp", a.get("cidr_ipv4")),
                                ("Ipv6Ranges", "CidrIpv6", a.get("cidr_ipv6")),
                                ("PrefixListIds", "PrefixListId", pl and self.prefix_list(pl)),
                                ("UserIdGroupPairs", "GroupId", ref and self.sg(ref, vpc))):
            if value:
                perm[key] = [{fld: value, **d}]
        made = self.authorize(gid, r.type.endswith("egress_rule"), perm, self.tags(r))
        if not made:
            raise Failed("its security group has this rule already")
        rid = made["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        self.own(r, id=rid, security_group_rule_id=rid, security_group_id=gid,
                 arn=seed.ec2_arn(self.region, "security-group-rule", rid))

    def s3_bucket(self, r: Rec) -> None:
        a = r.attrs
        name = self.bucket(a.get("bucket") or (a.get("bucket_prefix") or "terraform-") + stamp(), self.tags(r),
                           bool(a.get("object_lock_enabled")))
        self.own(r, id=name, bucket=name, arn=f"arn:aws:s3:::{name}", bucket_domain_name=f"{name}.s3.amazonaws.com",
                 bucket_regional_domain_name=f"{name}.s3.{self.region}.amazonaws.com", region=self.region)

    def s3_bucket_config(self, r: Rec) -> None:
        """A bucket record's inline settings (as the provider read them), once every bucket exists."""
        a, name = r.attrs, r.new["bucket"]
        if one(a.get("versioning")).get("enabled"):
            self.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        rules = [x for cfg in blocks(a.get("server_side_encryption_configuration")) for x in blocks(cfg.get("rule"))]
        if rules:
            self.s3_encryption(name, rules)
        grants = blocks(a.get("grant"))
        owner = self.s3.get_bucket_acl(Bucket=name)["Owner"]["ID"]
        self.ids.update({g["id"]: owner for g in grants if g.get("type") == "CanonicalUser" and g.get("id")})
        if a.get("acl") and a["acl"] != "private":
            self.s3_acl(name, a["acl"], {})
        elif len(grants) > 1 or any(g.get("type") != "CanonicalUser" for g in grants):
            self.s3_acl(name, None, {"grant": [{"permission": p, "grantee": g} for g in grants
                                               for p in g.get("permissions") or []]})
        if a.get("policy"):
            self.s3.put_bucket_policy(Bucket=name, Policy=self.text(a["policy"], "policy"))
        for log in blocks(a.get("logging")):
            self.s3_logging(name, log)

    def s3_encryption(self, bucket: str, rules: list[dict[str, Any]]) -> None:
        api = []
        for rule in rules:
            d = one(rule.get("apply_server_side_encryption_by_default"))
            key = {"KMSMasterKeyID": self.kms(d["kms_master_key_id"])} if d.get("kms_master_key_id") else {}
            api.append({"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": d.get("sse_algorithm", "AES256"), **key},
                        "BucketKeyEnabled": bool(rule.get("bucket_key_enabled"))})
        self.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": api})

    def s3_acl(self, bucket: str, acl: str | None, policy: dict[str, Any]) -> None:
        """A canned ACL, else the grants of an access_control_policy (the owner's: moto's)."""
        owner = self.s3.get_bucket_acl(Bucket=bucket)["Owner"]
        if acl == "public-read-write":  # moto shows one permission of a canned grant (see seed.py)
            policy = {"grant": [{"permission": p, "grantee": {"type": "Group", "uri": seed.ALL_USERS}}
                                for p in ("READ", "WRITE")]}
        elif acl:
            self.s3.put_bucket_acl(Bucket=bucket, ACL=acl)
            return
        grants = [{"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"}]
        for g in blocks(policy.get("grant")):
            who = one(g.get("grantee"))
            if who.get("type") == "CanonicalUser" and who.get("id"):
                self.ids[who["id"]] = owner["ID"]
            grantee = ({"Type": "Group", "URI": who.get("uri")} if who.get("type") == "Group" else
                       {"Type": "CanonicalUser", "ID": owner["ID"]})
            if {"Grantee": grantee, "Permission": g["permission"]} not in grants:
                grants.append({"Grantee": grantee, "Permission": g["permission"]})
        self.s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy={"Owner": owner, "Grants": grants})

    def s3_logging(self, bucket: str, log: dict[str, Any]) -> None:
        target = self.named_bucket(log.get("target_bucket"))
        status = {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": log.get("target_prefix") or ""}}
        try:
            self.s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus=status)
        except botocore.exceptions.ClientError as err:
            if err.response["Error"]["Code"] != "InvalidTargetBucketForLogging":
                raise
            seed.grant_log_delivery(self.c, self.region, target)  # the target's ACL gets LogDelivery's grants
            self.differ("target_bucket ACL", "as declared", "LogDelivery WRITE and READ_ACP grants added")
            self.s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus=status)

    def s3_split(self, r: Rec) -> None:
        a, bucket = r.attrs, self.bucket_of(r)
        old, sid = a.get("bucket"), a.get("id")
        self.own(r, bucket=bucket, id=bucket + (sid[len(old):] if sid and old and sid.startswith(old) else
                                                f",{a['acl']}" if r.type.endswith("_acl") and a.get("acl") else ""))
        if r.type == "aws_s3_bucket_versioning":
            status = one(a.get("versioning_configuration")).get("status")
            if status in ("Enabled", "Suspended"):
                self.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})
        elif r.type == "aws_s3_bucket_server_side_encryption_configuration":
            self.s3_encryption(bucket, blocks(a.get("rule")))
        elif r.type == "aws_s3_bucket_acl":
            self.s3_acl(bucket, a.get("acl"), one(a.get("access_control_policy")))
        elif r.type == "aws_s3_bucket_policy":
            self.s3.put_bucket_policy(Bucket=bucket, Policy=self.text(a["policy"], "policy"))
        elif r.type == "aws_s3_bucket_logging":
            self.s3_logging(bucket, a)
        elif r.type == "aws_s3_bucket_public_access_block":
            flags = ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")
            self.s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
                api_name(f): bool(a.get(f)) for f in flags})

    def ebs_volume(self, r: Rec) -> None:
        a, vtype = r.attrs, r.attrs.get("type") or "gp2"
        args: dict[str, Any] = {"AvailabilityZone": self.zone(a.get("availability_zone")), "VolumeType": vtype,
                                "Encrypted": bool(a.get("encrypted")),
                                "MultiAttachEnabled": bool(a.get("multi_attach_enabled")),
                                "TagSpecifications": seed.ec2_tag_spec("volume", self.tags(r))}
        for key, api, ok in (("size", "Size", True), ("iops", "Iops", vtype in ("io1", "io2", "gp3")),
                             ("throughput", "Throughput", vtype == "gp3")):
            if a.get(key) and ok:
                args[api] = a[key]
        if a.get("kms_key_id"):
            args["KmsKeyId"] = self.kms(a["kms_key_id"])
        if a.get("snapshot_id"):
            self.differ("snapshot_id", a["snapshot_id"], None)
        vol = self.ec2.create_volume(**args)["VolumeId"]
        self.own(r, id=vol, arn=seed.ec2_arn(self.region, "volume", vol), availability_zone=args["AvailabilityZone"])

    def instance(self, r: Rec) -> None:
        a, olds = r.attrs, r.attrs.get("vpc_security_group_ids") or []
        vpc = self.vpc_of([self.ids[g] for g in olds if g in self.ids])
        # External groups pair with the names in security_groups the file's groups do not have ("default").
        names = [n for n in a.get("security_groups") or [] if n not in {
            p.attrs.get("name") for p in self.made.values() if p.type == "aws_security_group"}]
        external = [g for g in olds if g not in self.ids]
        pairs = dict(zip(external, names)) if len(names) == len(external) else {}
        groups = [self.sg(g, vpc, pairs.get(g)) for g in olds]
        sub = self.subnet(a.get("subnet_id"), vpc, self.zone(a.get("availability_zone")), a.get("private_ip"))
        zone, ip = sub["AvailabilityZone"], a.get("private_ip")
        if a.get("availability_zone"):
            self.ids[a["availability_zone"]] = zone
        if ip and ipaddress.ip_address(ip) not in ipaddress.ip_network(sub["CidrBlock"]):
            self.differ("private_ip", ip, f"one of {sub['CidrBlock']}")
            ip = None
        public = a.get("associate_public_ip_address")
        if public is not None and bool(public) != bool(sub.get("MapPublicIpOnLaunch")):
            self.differ("associate_public_ip_address", public, sub.get("MapPublicIpOnLaunch"))
        meta, credits = one(a.get("metadata_options")), one(a.get("credit_specification")).get("cpu_credits")
        args: dict[str, Any] = {
            "ImageId": a.get("ami") or seed.AMI, "InstanceType": a.get("instance_type") or "t3.micro", "MinCount": 1,
            "MaxCount": 1, "SubnetId": sub["SubnetId"], "SecurityGroupIds": groups,
            "Monitoring": {"Enabled": bool(a.get("monitoring"))}, "EbsOptimized": bool(a.get("ebs_optimized")),
            "DisableApiTermination": bool(a.get("disable_api_termination")),
            "Placement": {"AvailabilityZone": zone, "Tenancy": a.get("tenancy") or "default"},
            "TagSpecifications": seed.ec2_tag_spec("instance", self.tags(r))
            + seed.ec2_tag_spec("volume", {k: str(v) for k, v in (a.get("volume_tags") or {}).items()}),
            **({"PrivateIpAddress": ip} if ip else {}),
            **({"CreditSpecification": {"CpuCredits": credits}} if credits else {}),
            **({"InstanceInitiatedShutdownBehavior": a["instance_initiated_shutdown_behavior"]}
               if a.get("instance_initiated_shutdown_behavior") else {})}
        args.update({"KeyName": a["key_name"]} if a.get("key_name") else {})  # moto does not check it
        if a.get("iam_instance_profile"):
            args["IamInstanceProfile"] = {"Name": self.stand_in(a["iam_instance_profile"], "instance profile", lambda: (
                self.iam.create_instance_profile(InstanceProfileName=a["iam_instance_profile"])["InstanceProfile"][
                    "InstanceProfileName"]), lambda: a["iam_instance_profile"])}
        args["MetadataOptions"] = {api_name(k): v for k, v in meta.items() if v and k in (
            "http_endpoint", "http_tokens", "http_put_response_hop_limit", "instance_metadata_tags")}
        mappings = []
        for dev in blocks(a.get("root_block_device")) + blocks(a.get("ebs_block_device")):
            vt = dev.get("volume_type")
            ebs = {"VolumeSize": dev.get("volume_size"), "VolumeType": vt, "Encrypted": dev.get("encrypted"),
                   "DeleteOnTermination": dev.get("delete_on_termination"),
                   "Iops": dev.get("iops") if vt in ("io1", "io2", "gp3") else None,
                   "Throughput": dev.get("throughput") if vt == "gp3" else None,
                   "KmsKeyId": self.kms(dev["kms_key_id"]) if dev.get("kms_key_id") else None}
            mappings.append({"DeviceName": dev.get("device_name") or seed.ROOT_DEVICE, "Ebs": {
                k: v for k, v in ebs.items() if not (v in (None, "") or type(v) is int and v == 0)}})
        args.update({"BlockDeviceMappings": mappings} if mappings else {})
        try:
            iid = self.ec2.run_instances(**args)["Instances"][0]["InstanceId"]
        except (botocore.exceptions.ClientError, botocore.parsers.ResponseParserError):
            if not ip:  # moto fails on a private IP in use (an earlier run's): let it pick one
                raise
            self.differ("private_ip", ip, "another (in use)")
            iid = self.ec2.run_instances(**{k: v for k, v in args.items() if k != "PrivateIpAddress"})["Instances"][0][
                "InstanceId"]
        if a.get("source_dest_check") is False:
            self.ec2.modify_instance_attribute(InstanceId=iid, SourceDestCheck={"Value": False})
        inst = self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        vols = {m["DeviceName"]: m["Ebs"]["VolumeId"] for m in inst.get("BlockDeviceMappings", [])}
        for dev in blocks(a.get("root_block_device")) + blocks(a.get("ebs_block_device")):
            new = vols.get(dev.get("device_name") or inst.get("RootDeviceName"))
            if dev.get("volume_id") and new:
                self.ids[dev["volume_id"]] = new
        nics = inst.get("NetworkInterfaces") or []
        eni = {"primary_network_interface_id": nics[0]["NetworkInterfaceId"]} if nics else {}
        self.own(r, id=iid, arn=seed.ec2_arn(self.region, "instance", iid), subnet_id=sub["SubnetId"],
                 availability_zone=zone, vpc_security_group_ids=groups, **eni)

    def db_instance(self, r: Rec) -> None:
        a, rds = r.attrs, self.c("rds", self.region)
        ident = a.get("identifier") or (a.get("identifier_prefix") or "terraform-") + stamp()
        engine, version = a.get("engine") or "postgres", str(a.get("engine_version") or "")
        args: dict[str, Any] = {
            "DBInstanceIdentifier": ident, "Engine": engine,
            "DBInstanceClass": a.get("instance_class") or "db.t3.micro",
            "AllocatedStorage": a.get("allocated_storage") or 20, "MasterUsername": a.get("username") or "admin",
            "MasterUserPassword": seed.PASSWORD, "PubliclyAccessible": bool(a.get("publicly_accessible")),
            "Tags": seed.tag_list(self.tags(r))}
        for key in DB_KEYS:
            v = a.get(key)
            if isinstance(v, bool) or key == "backup_retention_period" and v == 0 or v not in (None, "", 0, []):
                args[DB_API.get(key, api_name(key))] = v
        if a.get("storage_encrypted") and a.get("kms_key_id"):
            args["KmsKeyId"] = self.kms(a["kms_key_id"])
        if not a.get("multi_az") and a.get("availability_zone"):
            args["AvailabilityZone"] = self.zone(a["availability_zone"])
        groups = [self.sg(g) for g in a.get("vpc_security_group_ids") or []]
        args.update({"VpcSecurityGroupIds": groups} if groups else {})
        pg, og, sn = a.get("parameter_group_name"), a.get("option_group_name"), a.get("db_subnet_group_name")
        if pg:  # moto knows the default.* groups
            args["DBParameterGroupName"] = pg if pg.startswith("default.") else self.stand_in(
                pg, "db parameter group", lambda: rds.create_db_parameter_group(
                    DBParameterGroupName=pg, DBParameterGroupFamily=engine + version.split(".")[0],
                    Description="stand-in")["DBParameterGroup"]["DBParameterGroupName"], lambda: pg)
        if og and not og.startswith("default:"):  # moto names its own default option group
            args["OptionGroupName"] = self.stand_in(og, "db option group", lambda: rds.create_option_group(
                OptionGroupName=og, EngineName=engine, MajorEngineVersion=version.rsplit(".", 1)[0],
                OptionGroupDescription="stand-in")["OptionGroup"]["OptionGroupName"], lambda: og)
        if sn and sn != "default":
            vpc, zones = self.vpc_of(groups), sorted(z["ZoneName"] for z in self.ec2.describe_availability_zones()[
                "AvailabilityZones"])[:2]
            args["DBSubnetGroupName"] = self.stand_in(sn, "db subnet group", lambda: rds.create_db_subnet_group(
                DBSubnetGroupName=sn, DBSubnetGroupDescription="stand-in",
                SubnetIds=[self.subnet(None, vpc, z)["SubnetId"] for z in zones])["DBSubnetGroup"]["DBSubnetGroupName"],
                lambda: sn)
        try:
            db = rds.create_db_instance(**args)["DBInstance"]
        except rds.exceptions.DBInstanceAlreadyExistsFault:  # an earlier run's: a prefixed identifier
            db = rds.create_db_instance(**{**args, "DBInstanceIdentifier": self.prefix + ident})["DBInstance"]
        address, port, new = db["Endpoint"]["Address"], db["Endpoint"]["Port"], db["DBInstanceIdentifier"]
        self.own(r, id=new if a.get("id") and a.get("id") == a.get("identifier") else db["DbiResourceId"],
                 identifier=new, resource_id=db["DbiResourceId"], arn=db["DBInstanceArn"], address=address,
                 endpoint=f"{address}:{port}", availability_zone=db.get("AvailabilityZone"),
                 vpc_security_group_ids=[g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", [])])

    def attachment(self, r: Rec) -> None:
        a, p = r.attrs, self.parent(r, "role", "aws_iam_role")
        old = a.get("role") or ""
        role = p.new["id"] if p else self.names["role"].get(old)
        if not role:
            role = self.names["role"][old] = self.iam.create_role(
                RoleName=old or self.prefix + stamp(), Tags=[{"Key": STAND_IN, "Value": old}],
                AssumeRolePolicyDocument=json.dumps(seed.EC2_TRUST))["Role"]["RoleName"]
            self.stand_ins.append({"for": old, "kind": "iam role", "id": role})
        arn = self.policy_arn(a.get("policy_arn"), r.address)
        self.iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        sid = a.get("id") or f"{old}-{stamp()}"
        self.own(r, role=role, policy_arn=arn, id=role + sid[len(old):] if old and sid.startswith(old) else sid)


# Per type, its steps. Phases: every record of a type, in file order; rule resources come before a group's
# inline rules (the state lists them there too), a bucket's inline settings once every bucket exists.
STEPS: dict[str, list[Callable[[Builder, Rec], None]]] = {
    "aws_kms_key": [Builder.kms_key], "aws_iam_role": [Builder.iam_role],
    "aws_security_group": [Builder.security_group, Builder.security_group_rules],
    "aws_s3_bucket": [Builder.s3_bucket, Builder.s3_bucket_config],
    "aws_vpc_security_group_ingress_rule": [Builder.vpc_rule], "aws_vpc_security_group_egress_rule": [Builder.vpc_rule],
    "aws_security_group_rule": [Builder.security_group_rule], "aws_ebs_volume": [Builder.ebs_volume],
    "aws_instance": [Builder.instance], "aws_db_instance": [Builder.db_instance],
    **{f"aws_s3_bucket_{t}": [Builder.s3_split] for t in (
        "acl", "versioning", "server_side_encryption_configuration", "policy", "logging", "public_access_block")},
    "aws_iam_role_policy_attachment": [Builder.attachment],
}
PHASES = [(t, 0) for t in list(STEPS)[:7]] + [("aws_security_group", 1), ("aws_s3_bucket", 1)] + [
    (t, 0) for t in list(STEPS)[7:]]


def remap(b: Builder, node: Any) -> None:
    """Rewrite in place the identities under `node` through the builder's maps."""
    for k, v in list(node.items()) if isinstance(node, dict) else []:
        sk = snake(k)
        table = b.names[NAME_KEYS[sk]] if sk in NAME_KEYS else b.ids if sk in ID_KEYS else None
        if table is not None and isinstance(v, str):
            node[k] = table.get(v, v)
        elif table is not None and isinstance(v, list) and all(isinstance(s, str) for s in v):
            node[k] = [table.get(s, s) for s in v]
        elif isinstance(v, (dict, list)):
            for child in v if isinstance(v, list) else [v]:
                remap(b, child)


def build(args: argparse.Namespace, endpoint: str) -> tuple[Any, dict[str, Any]]:
    """Create the records of `args.input` in moto: the rewritten document and the map."""
    try:
        kind, doc, recs, dropped, config = load(args.input, set(args.types.split(",")) if args.types else None)
    except (OSError, ValueError, KeyError, TypeError, Failed) as err:
        raise Failed(f"{args.input}: {err}") from err
    places = [m.groups() for m in ARN_PLACE.finditer(json.dumps([r.attrs for r in recs]))]
    regions = {p[0] for p in places if p[0]}
    region = args.region or (regions.pop() if len(regions) == 1 else "us-east-1")
    b = Builder(seed.Clients(endpoint), region, args.prefix, config)
    for old_region, account in places:  # the file's regions and accounts are moto's
        if old_region:
            b.ids[old_region] = region
        if account:
            b.ids[account] = A
    b.ids.update({r.attrs["owner_id"]: A for r in recs if isinstance(r.attrs.get("owner_id"), str)})
    for ty, step in PHASES:
        for r in (r for r in recs if r.type == ty and (not step or r.address in b.made)):
            b.rec = r
            try:
                STEPS[ty][step](b, r)
            except (*ERRORS, Failed) as err:
                raise Failed(f"{args.input}: {r.address} ({r.type}): cannot create it in moto: {err}") from err
            b.made[r.address] = r
    for r in recs:
        remap(b, r.out)
        r.out.update({camel(k) if r.pulumi else k: v for k, v in r.new.items() if k in r.attrs or r.fill})
        if r.pulumi:
            remap(b, r.pulumi.get("inputs") or {})
            r.pulumi["id"] = r.new.get("id", r.pulumi.get("id"))
    if kind == "pulumi":
        dep, gone = doc.get("deployment") or doc["checkpoint"]["latest"], set(dropped)
        dep["resources"] = [r for r in dep["resources"] if r.get("urn") not in gone]
        for r in dep["resources"]:
            if r.get("type", "").startswith("pulumi:providers:"):
                remap(b, r.get("inputs") or {})
                remap(b, r.get("outputs") or {})
            r["dependencies"] = [u for u in r.get("dependencies") or [] if u not in gone]
            for k, urns in (r.get("propertyDependencies") or {}).items():
                r["propertyDependencies"][k] = [u for u in urns or [] if u not in gone]
    else:
        kept = {id(r.out) for r in recs}
        for res in doc["resources"]:
            res["instances"] = [i for i in res.get("instances", []) if id(i["attributes"]) in kept]
        doc["resources"] = [res for res in doc["resources"] if res["instances"]]
    resources = [{"address": r.address, "type": r.type, "id": r.new.get("id"), "arn": r.new.get("arn")} for r in recs]
    return doc, {"input": args.input, "region": region, "ids": {**b.ids, **b.names["bucket"], **b.names["role"]},
                 "resources": resources, "stand_ins": b.stand_ins, "differs": b.differs, "dropped": dropped}


def main() -> int:
    ap = argparse.ArgumentParser(description="Create a state's resources in moto; print it with moto's identities.")
    ap.add_argument("input")
    ap.add_argument("--region", help="default: the one region of the records' ARNs, else us-east-1")
    ap.add_argument("--types", help="only these types (comma-separated, Terraform or Pulumi)")
    ap.add_argument("--prefix", default="p18-", help="for names that must be unique (default p18-)")
    ap.add_argument("--map", help="write the map here (default: stderr)")
    args = ap.parse_args()
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        print("from_state.py: AWS_ENDPOINT_URL is not set (the moto server's URL)", file=sys.stderr)
        return 1
    try:
        doc, mapping = build(args, endpoint)
    except Failed as err:
        print(f"from_state.py: {err}", file=sys.stderr)
        return 1
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")
    if args.map:
        with open(args.map, "w", encoding="utf-8") as f:
            json.dump(mapping, f, indent=2)
    else:
        json.dump(mapping, sys.stderr, indent=2)
        sys.stderr.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
