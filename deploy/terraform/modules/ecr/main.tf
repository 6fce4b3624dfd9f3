# One repository per Dockerfile target (contract: binance-merchant-platform/<target>). Images are tagged
# with the git SHA (immutable) and moved to `latest-<env>` after a deploy (the only mutable tags).
resource "aws_ecr_repository" "target" {
  #checkov:skip=CKV_AWS_51:Tags are immutable except latest-<env> (IMMUTABLE_WITH_EXCLUSION), which deploys move on purpose; checkov only knows IMMUTABLE
  for_each             = toset(var.targets)
  name                 = "${var.project}/${each.value}"
  image_tag_mutability = "IMMUTABLE_WITH_EXCLUSION"

  image_tag_mutability_exclusion_filter {
    filter      = "latest-*"
    filter_type = "WILDCARD"
  }

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
}

resource "aws_ecr_lifecycle_policy" "target" {
  for_each   = aws_ecr_repository.target
  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Drop untagged images after ${var.untagged_expiry_days} days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.untagged_expiry_days
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest ${var.keep_images} images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}
