variable "zone" {
  type = string
}

# Encryption left out: not set, so unencrypted.
resource "aws_ebs_volume" "scratch" {
  count             = 2
  availability_zone = var.zone
  size              = 8
}

# Encryption set: passes.
resource "aws_ebs_volume" "data" {
  for_each          = toset(["logs"])
  availability_zone = var.zone
  size              = 8
  encrypted         = true
}

# No acl: a private bucket, through a nested module.
module "bucket" {
  source = "./bucket"
  name   = "palisade-${var.zone}"
}
