provider "aws" {
  region              = var.region
  allowed_account_ids = [var.aws_account_id]

  default_tags {
    tags = {
      Project     = "binance-merchant-platform"
      Environment = "staging"
      ManagedBy   = "terraform"
      Repository  = var.github_repository
    }
  }
}
