variable "encrypted" {
  type    = bool
  default = null
}

resource "aws_ebs_volume" "this" {
  availability_zone = "eu-west-1a"
  size              = 8
  encrypted         = var.encrypted
}
