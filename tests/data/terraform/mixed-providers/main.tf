# AWS resources beside another provider's (terraform_data, built into
# Terraform): AWS policies judge the AWS ones only.

resource "aws_sns_topic" "untagged" {
  name = "untagged"
}

resource "terraform_data" "marker" {
  input = { tags = ["not", "a", "map"] }
}
