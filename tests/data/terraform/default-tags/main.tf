# The provider's default tags count towards required tags: `tags_all` is
# the resource's tags merged over them.

resource "aws_sns_topic" "untagged" {
  name = "untagged"
}

resource "aws_sns_topic" "team_tagged" {
  name = "team-tagged"
  tags = { team = "payments" }
}
