# Whether an instance that leaves associate_public_ip_address out gets a
# public IP address depends on its subnet's map_public_ip_on_launch. The
# subnets exist already (terraform.tfstate), so the plan knows their ids
# and the instances' subnet_id.

resource "aws_subnet" "public" {
  vpc_id                  = "vpc-0123456789abcdef0"
  cidr_block              = "10.0.1.0/24"
  map_public_ip_on_launch = true
}

resource "aws_subnet" "private" {
  vpc_id     = "vpc-0123456789abcdef0"
  cidr_block = "10.0.2.0/24"
}

resource "aws_instance" "in_public_subnet" {
  ami           = "ami-0abcdef1234567890"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.public.id
}

resource "aws_instance" "in_private_subnet" {
  ami           = "ami-0abcdef1234567890"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.private.id
}

resource "aws_instance" "in_public_subnet_without_ip" {
  ami                         = "ami-0abcdef1234567890"
  instance_type               = "t3.micro"
  subnet_id                   = aws_subnet.public.id
  associate_public_ip_address = false
}

resource "aws_instance" "in_subnet_elsewhere" {
  ami           = "ami-0abcdef1234567890"
  instance_type = "t3.micro"
  subnet_id     = "subnet-0fedcba9876543210"
}

resource "aws_instance" "in_default_subnet" {
  ami           = "ami-0abcdef1234567890"
  instance_type = "t3.micro"
}
