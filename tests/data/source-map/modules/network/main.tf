variable "vpc_id" {
  type = string
}

variable "cidr_block" {
  type = string
}

variable "tags" {
  type    = map(string)
  default = {}
}

resource "aws_route_table" "public" {
  vpc_id = var.vpc_id
  tags   = merge(var.tags, { Name = "public" })
}

module "subnets" {
  source = "./subnets"

  vpc_id         = var.vpc_id
  cidr_block     = cidrsubnet(var.cidr_block, 8, 1)
  route_table_id = aws_route_table.public.id
}

output "subnet_ids" {
  value = module.subnets.ids
}
