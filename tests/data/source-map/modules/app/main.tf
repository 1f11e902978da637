variable "name" {
  type = string
}

variable "instance_type" {
  type = string
}

variable "db_class" {
  type = string
}

variable "subnet_id" {
  type = string
}

variable "tags" {
  type    = map(string)
  default = {}
}

resource "aws_db_instance" "main" {
  identifier          = "${var.name}-db"
  engine              = "postgres"
  engine_version      = "16.3"
  instance_class      = var.db_class
  allocated_storage   = 20
  username            = "app"
  password            = "change-me-please"
  publicly_accessible = true
  storage_encrypted   = false
  skip_final_snapshot = true
  tags                = var.tags
}

resource "aws_instance" "app" {
  ami                         = "ami-0c1c30571d2dae5c9"
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  associate_public_ip_address = true

  root_block_device {
    encrypted = true
  }

  tags = merge(var.tags, { Name = var.name })
}
