terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.14"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # Remote state: the bucket, its KMS key and the lock table come from deploy/terraform/bootstrap.
  backend "s3" {
    bucket         = "binance-merchant-platform-staging-tfstate"
    key            = "envs/staging/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "binance-merchant-platform-staging-tflock"
    encrypt        = true
    kms_key_id     = "alias/binance-merchant-platform-staging-tfstate"
  }
}
