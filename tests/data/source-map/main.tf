# Root module of the source-map test tree (see README.md).

terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.40"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

locals {
  tags = {
    team    = "platform"
    project = "shop"
  }
}

resource "aws_s3_bucket" "logs" {
  bucket = "shop-access-logs"
  tags   = local.tags
}

resource "aws_s3_bucket_acl" "logs" {
  bucket = aws_s3_bucket.logs.id
  acl    = "public-read"
}

resource "aws_ebs_volume" "data" {
  count = 2

  availability_zone = "${var.region}${count.index == 0 ? "a" : "b"}"
  size              = 100
  type              = "gp3"
  encrypted         = false
  tags              = merge(local.tags, { Name = "data-${count.index}" })
}

data "aws_iam_policy_document" "logs_read" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.logs.arn}/*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::123456789012:root"]
    }
  }
}

module "network" {
  source = "./modules/network"

  vpc_id     = module.vpc.vpc_id
  cidr_block = "10.0.0.0/16"
  tags       = local.tags
}

module "apps" {
  source   = "./modules/app"
  for_each = {
    web = { instance_type = "t3.small", db_class = "db.t3.micro" }
    api = { instance_type = "t3.medium", db_class = "db.t3.small" }
  }

  name          = each.key
  instance_type = each.value.instance_type
  db_class      = each.value.db_class
  subnet_id     = module.network.subnet_ids[0]
  tags          = local.tags
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.8.1"

  name = "shop"
  cidr = "10.0.0.0/16"
}
