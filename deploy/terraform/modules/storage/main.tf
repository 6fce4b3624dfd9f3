# The data buckets of the contract, <project>-<env>-landing / -models / -compute-logs (modules/s3_bucket:
# KMS, versioned, private, TLS only, access logged), and the access-log bucket (access_logs.tf).
module "landing" {
  source                         = "../s3_bucket"
  name                           = "${var.project}-${var.environment}-landing"
  kms_key_arn                    = var.kms_key_arn
  access_logs_bucket             = aws_s3_bucket.access_logs.id
  noncurrent_version_expiry_days = var.noncurrent_version_expiry_days
}

module "models" {
  source                         = "../s3_bucket"
  name                           = "${var.project}-${var.environment}-models"
  kms_key_arn                    = var.kms_key_arn
  access_logs_bucket             = aws_s3_bucket.access_logs.id
  noncurrent_version_expiry_days = var.noncurrent_version_expiry_days
}

module "compute_logs" {
  source                         = "../s3_bucket"
  name                           = "${var.project}-${var.environment}-compute-logs"
  kms_key_arn                    = var.kms_key_arn
  access_logs_bucket             = aws_s3_bucket.access_logs.id
  noncurrent_version_expiry_days = var.noncurrent_version_expiry_days
}
