output "landing_bucket" {
  value       = module.landing.id
  description = "Bucket the archives land in."
}

output "models_bucket" {
  value       = module.models.id
  description = "Bucket of the model registry."
}

output "compute_logs_bucket" {
  value       = module.compute_logs.id
  description = "Bucket of Dagster's compute logs."
}

output "data_bucket_arns" {
  value       = [module.landing.arn, module.models.arn, module.compute_logs.arn]
  description = "ARNs of the data buckets (task role permissions)."
}

output "access_logs_bucket" {
  value       = aws_s3_bucket.access_logs.id
  description = "Bucket of the S3 and ALB access logs."
}
