"""Seed a local AWS endpoint (moto) with the walkthrough's resources.

    AWS_ENDPOINT_URL=http://127.0.0.1:PORT python seed.py

Four resources in eu-west-1, each with some tags but without the required
`cost-center` (the Resource Groups Tagging API cannot see resources that were
never tagged, so each gets at least one tag):
  - S3 bucket walkthrough-logs      (in the Terraform state, unchanged)
  - S3 bucket walkthrough-assets    (not in the state: unmanaged)
  - SNS topic walkthrough-alerts    (in the state with other tags: changed)
  - SQS queue walkthrough-jobs      (unmanaged; moto refuses to tag SQS
                                     through the Tagging API, so remediation
                                     reports it as failed)
With the argument `actions`, two more, untagged, that remediation actions fix:
  - S3 bucket walkthrough-public    (ACL public-read: readable by everyone)
  - security group walkthrough-web  (tcp 80 from 0.0.0.0/0, which two built-in
                                     policies flag, and tcp 443 from 10.0.0.0/8,
                                     which must stay)
Needs boto3 (it comes with moto: scripts/install-toolchains.sh moto).
"""

import os
import sys

import boto3

REGION = "eu-west-1"


def main() -> int:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        print("seed.py: set AWS_ENDPOINT_URL to the moto server's address", file=sys.stderr)
        return 2
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    s3 = session.client("s3", endpoint_url=endpoint)
    where = {"LocationConstraint": REGION}
    if sys.argv[1:] == ["actions"]:
        return seed_actions(session, endpoint)
    for bucket, tags in [
        ("walkthrough-logs", {"env": "dev", "owner": "data-team"}),
        ("walkthrough-assets", {"env": "prod"}),
    ]:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=where)
        s3.put_bucket_tagging(
            Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
        )
    sns = session.client("sns", endpoint_url=endpoint)
    sns.create_topic(Name="walkthrough-alerts", Tags=[{"Key": "env", "Value": "prod"}])
    sqs = session.client("sqs", endpoint_url=endpoint)
    sqs.create_queue(QueueName="walkthrough-jobs", tags={"env": "dev"})
    print("seeded 4 resources in", REGION, "at", endpoint)
    return 0


def seed_actions(session: boto3.session.Session, endpoint: str) -> int:
    s3 = session.client("s3", endpoint_url=endpoint)
    s3.create_bucket(
        Bucket="walkthrough-public", ACL="public-read", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    ec2 = session.client("ec2", endpoint_url=endpoint)
    group = ec2.create_security_group(GroupName="walkthrough-web", Description="web servers")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
        ],
    )
    print("seeded a public bucket and an open security group", group, "in", REGION, "at", endpoint)
    return 0


if __name__ == "__main__":
    sys.exit(main())
