# Modules with for_each and count, and resources with count and for_each
# inside them: instances share their resource's configuration.

module "regional" {
  source   = "./modules/storage"
  for_each = toset(["eu-west-1a", "eu-west-1b"])
  zone     = each.key
}

module "counted" {
  source = "./modules/storage"
  count  = 1
  zone   = "eu-west-1c"
}
