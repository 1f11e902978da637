# For each built-in policy: an attribute the configuration leaves out (the
# provider fills it in at apply: "not set"), the same attribute set from an
# expression known only after apply ("unknown"), and where it helps, set.

# The source of values known only after apply.
resource "aws_kms_key" "source" {
  description         = "source of unknown values"
  enable_key_rotation = true
}

locals {
  unknown_bool = aws_kms_key.source.arn != ""
}

# aws-ebs-volume-disallow-unencrypted-volume
resource "aws_ebs_volume" "left_out" {
  availability_zone = "eu-west-1a"
  size              = 8
}

resource "aws_ebs_volume" "from_expression" {
  availability_zone = "eu-west-1a"
  size              = 8
  encrypted         = local.unknown_bool
}

resource "aws_ebs_volume" "encrypted" {
  availability_zone = "eu-west-1a"
  size              = 8
  encrypted         = true
}

# aws-ec2-instance-disallow-unencrypted-root-block-device and -public-ip
resource "aws_instance" "no_root_block" {
  ami                         = "ami-0abcdef1234567890"
  instance_type               = "t3.micro"
  associate_public_ip_address = false
}

resource "aws_instance" "root_block_without_encrypted" {
  ami           = "ami-0abcdef1234567890"
  instance_type = "t3.micro"
  root_block_device {
    volume_size = 20
  }
}

resource "aws_instance" "root_encrypted_from_expression" {
  ami                         = "ami-0abcdef1234567890"
  instance_type               = "t3.micro"
  associate_public_ip_address = local.unknown_bool
  root_block_device {
    encrypted = local.unknown_bool
  }
}

resource "aws_instance" "root_encrypted" {
  ami                         = "ami-0abcdef1234567890"
  instance_type               = "t3.micro"
  associate_public_ip_address = true
  root_block_device {
    encrypted = true
  }
}

# aws-s3-bucket-disallow-public-read
resource "aws_s3_bucket" "new_bucket" {
  bucket = "palisade-new-bucket"
}

resource "aws_s3_bucket" "acl_from_expression" {
  bucket = "palisade-acl-from-expression"
  acl    = local.unknown_bool ? "private" : "public-read"
}

resource "aws_s3_bucket" "public_read" {
  bucket = "palisade-public-read"
  acl    = "public-read"
}

# aws-ec2-securitygroup-*: rules in separate resources, and inline rules
# whose source is known only after apply.
resource "aws_security_group" "rules_elsewhere" {
  name = "rules-elsewhere"
}

resource "aws_vpc_security_group_ingress_rule" "open_ssh" {
  security_group_id = aws_security_group.rules_elsewhere.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
}

resource "aws_security_group" "inline_from_expression" {
  name = "inline-from-expression"
  ingress {
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = [local.unknown_bool ? "10.0.0.0/8" : "0.0.0.0/0"]
  }
}

# aws-rds-instance-*
resource "aws_db_instance" "left_out" {
  identifier          = "left-out"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  username            = "app"
  password            = "not-a-real-password-1"
  skip_final_snapshot = true
}

resource "aws_db_instance" "from_expression" {
  identifier          = "from-expression"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  username            = "app"
  password            = "not-a-real-password-2"
  skip_final_snapshot = true
  storage_encrypted   = local.unknown_bool
  publicly_accessible = local.unknown_bool
}

# aws-kms-key-enable-key-rotation
resource "aws_kms_key" "left_out" {
  description = "rotation left out"
}

resource "aws_kms_key" "from_expression" {
  description         = "rotation from an expression"
  enable_key_rotation = local.unknown_bool
}

# aws-ecr-repository-disallow-mutable-image
resource "aws_ecr_repository" "left_out" {
  name = "left-out"
}

resource "aws_ecr_repository" "from_expression" {
  name                 = "from-expression"
  image_tag_mutability = local.unknown_bool ? "IMMUTABLE" : "MUTABLE"
}

# aws-eks-cluster-disallow-api-endpoint-public-access
resource "aws_eks_cluster" "left_out" {
  name     = "left-out"
  role_arn = "arn:aws:iam::123456789012:role/eks"
  vpc_config {
    subnet_ids = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  }
}

resource "aws_eks_cluster" "from_expression" {
  name     = "from-expression"
  role_arn = "arn:aws:iam::123456789012:role/eks"
  vpc_config {
    subnet_ids             = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
    endpoint_public_access = local.unknown_bool
  }
}

# aws-lb-listener-disallow-unencrypted-traffic
resource "aws_lb" "web" {
  name    = "web"
  subnets = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
}

resource "aws_lb_listener" "left_out" {
  load_balancer_arn = aws_lb.web.arn
  port              = 8080
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      status_code  = "200"
    }
  }
}

resource "aws_lb_listener" "from_expression" {
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  protocol          = local.unknown_bool ? "HTTP" : "HTTPS"
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      status_code  = "200"
    }
  }
}

# required-tags: tags left out, and tags set.
resource "aws_sns_topic" "untagged" {
  name = "untagged"
}

resource "aws_sns_topic" "tagged" {
  name = "tagged"
  tags = { owner = "platform" }
}

# `dynamic` blocks are not in the configuration section, but the blocks they
# make are in the plan: values beneath them set from unknown expressions stay
# unknown, never "not set".
resource "aws_security_group" "dynamic_ingress" {
  name = "dynamic-ingress"
  dynamic "ingress" {
    for_each = [443]
    content {
      protocol    = "tcp"
      from_port   = ingress.value
      to_port     = ingress.value
      cidr_blocks = [local.unknown_bool ? "10.0.0.0/8" : "0.0.0.0/0"]
    }
  }
}

resource "aws_security_group" "dynamic_ingress_unknown_for_each" {
  name = "dynamic-ingress-unknown-for-each"
  dynamic "ingress" {
    for_each = local.unknown_bool ? [443] : []
    content {
      protocol    = "tcp"
      from_port   = ingress.value
      to_port     = ingress.value
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}

resource "aws_instance" "dynamic_root_block" {
  ami                         = "ami-0abcdef1234567890"
  instance_type               = "t3.micro"
  associate_public_ip_address = false
  dynamic "root_block_device" {
    for_each = [1]
    content {
      encrypted = local.unknown_bool
    }
  }
}
