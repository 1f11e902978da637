variable "vpc_id" {
  type = string
}

variable "cidr_block" {
  type = string
}

variable "route_table_id" {
  type = string
}

resource "aws_subnet" "this" {
  count = 1

  vpc_id                  = var.vpc_id
  cidr_block              = var.cidr_block
  availability_zone       = "eu-west-1a"
  map_public_ip_on_launch = true
}

resource "aws_route_table_association" "this" {
  count = length(aws_subnet.this)

  subnet_id      = aws_subnet.this[count.index].id
  route_table_id = var.route_table_id
}

output "ids" {
  value = aws_subnet.this[*].id
}
