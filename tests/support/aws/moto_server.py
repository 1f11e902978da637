"""Run moto's server on 127.0.0.1 at a port the OS picks, for the tests.

Protocol (shared with throttle_proxy.py): prints one line `PORT <n>` to
stdout once the server accepts connections, then blocks reading stdin; at
EOF (the test process that holds the pipe exited or closed it) it stops the
server and exits. Request logs go to stderr.

Changes to moto, for speed and for seed.py:
  - routing lists moto's package directory once (speed_up_routing);
  - KMS makes a key's RSA or EC private key on first use (Sign, Verify,
    GetPublicKey) instead of at every CreateKey (speed_up_kms), and EKS
    validates role ARNs without loading botocore's endpoint data on every
    CreateCluster (speed_up_eks): each cost about 50 ms a call;
  - IAM knows a few AWS managed policies (AWS_MANAGED_POLICIES, e.g.
    arn:aws:iam::aws:policy/ReadOnlyAccess) so that tests can attach them;
    moto loads all of them (about 1,600) or none. Like every managed policy
    they are listed by ListPolicies (Scope All or AWS) and by
    GetAccountAuthorizationDetails (no filter, or AWSManagedPolicy).

And one fix where moto's answer is not AWS's:
  - GetBucketVersioning: moto 5.2 names the root element of its answer
    GetBucketVersioningResponse; AWS (and so the AWS SDK for Rust, which
    refuses anything else) names it VersioningConfiguration
    (fix_bucket_versioning_root).

Run with the moto venv's python (scripts/install-toolchains.sh moto).
"""

import json
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


def speed_up_kms() -> None:
    """moto 5.2 makes an RSA private key (about 50 ms) for every KMS key,
    symmetric ones included, though only Sign, Verify and GetPublicKey use it:
    make it on first use."""
    import moto.kms.models as kms_models

    make = getattr(kms_models, "generate_private_key", None)
    if not callable(make):
        return

    class LazyPrivateKey:
        def __init__(self, key_spec: str) -> None:
            self.key_spec = key_spec
            self.made = None

        def __getattr__(self, name: str):
            # Only attributes this class lacks come here (never key_spec or
            # made, unless copy() builds one without __init__).
            if name in ("key_spec", "made") or name.startswith("__"):
                raise AttributeError(name)
            if self.made is None:
                self.made = make(self.key_spec)
            return getattr(self.made, name)

    kms_models.generate_private_key = LazyPrivateKey


def speed_up_eks() -> None:
    """moto 5.2's EKS checks a role ARN's partition with a new boto3 Session
    (which loads botocore's endpoint data, about 50 ms) on every CreateCluster
    and CreateNodegroup: list the partitions once."""
    import boto3
    import moto.eks.utils as eks_utils

    if not hasattr(eks_utils, "Session"):
        return
    partitions = tuple(boto3.Session().get_available_partitions())

    class Partitions:
        def get_available_partitions(self) -> list[str]:
            return list(partitions)

    eks_utils.Session = Partitions


# The AWS managed policies that IAM knows, for tests to attach: ARN
# arn:aws:iam::aws:policy/NAME (ViewOnlyAccess: policy/job-function/ViewOnlyAccess).
AWS_MANAGED_POLICIES = (
    "AdministratorAccess",
    "PowerUserAccess",
    "ReadOnlyAccess",
    "ViewOnlyAccess",
    "SecurityAudit",
    "IAMFullAccess",
    "AmazonS3FullAccess",
    "AmazonS3ReadOnlyAccess",
    "AmazonEC2FullAccess",
    "AmazonEKSClusterPolicy",
)


def load_some_aws_managed_policies() -> None:
    """moto loads every AWS managed policy (MOTO_IAM_LOAD_MANAGED_POLICIES) or
    none: keep AWS_MANAGED_POLICIES only, then load them."""
    import moto.iam.models as iam_models

    text = getattr(iam_models, "aws_managed_policies_data", None)
    if not isinstance(text, str):
        return
    every = json.loads(text)
    iam_models.aws_managed_policies_data = json.dumps({n: every[n] for n in AWS_MANAGED_POLICIES if n in every})
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"


def fix_bucket_versioning_root() -> None:
    """GetBucketVersioning's answer with AWS's root element name."""
    import moto.s3.responses as s3_responses

    original = s3_responses.S3Response.get_bucket_versioning

    def get_bucket_versioning(self):  # type: ignore[no-untyped-def]
        status, headers, body = original(self)
        if isinstance(body, bytes):
            body = body.replace(b"GetBucketVersioningResponse", b"VersioningConfiguration")
        elif isinstance(body, str):
            body = body.replace("GetBucketVersioningResponse", "VersioningConfiguration")
        return status, headers, body

    s3_responses.S3Response.get_bucket_versioning = get_bucket_versioning


def main() -> int:
    speed_up_routing()
    fix_bucket_versioning_root()
    speed_up_kms()
    speed_up_eks()
    load_some_aws_managed_policies()
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
