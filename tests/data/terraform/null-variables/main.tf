# Arguments set from variables that are null (the registry modules'
# pattern: `encrypted = var.encrypted`, default null) are not set: every
# input of the expression is known at plan time, so a value Terraform still
# marks unknown is one the provider fills in.

variable "encrypted" {
  type    = bool
  default = null
}

resource "aws_kms_key" "source" {
  description = "source of unknown values"
}

# Root variable, default null: not set, so unencrypted.
resource "aws_ebs_volume" "root_variable_null" {
  availability_zone = "eu-west-1a"
  size              = 8
  encrypted         = var.encrypted
}

# count.index and a null variable: not set.
resource "aws_ebs_volume" "conditional_null" {
  count             = 2
  availability_zone = "eu-west-1a"
  size              = 8
  encrypted         = count.index == 0 ? var.encrypted : null
}

# Through a module whose variable defaults to null: not set.
module "default_null" {
  source = "./modules/disk"
}

# A module call that passes null explicitly: not set.
module "passed_null" {
  source    = "./modules/disk"
  encrypted = null
}

# A module call that passes a value known only after apply: unknown.
module "passed_unknown" {
  source    = "./modules/disk"
  encrypted = aws_kms_key.source.arn != ""
}
