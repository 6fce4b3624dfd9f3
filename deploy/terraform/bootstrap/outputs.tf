output "state_bucket" {
  value       = aws_s3_bucket.state.id
  description = "Bucket of envs/<env>'s backend."
}

output "lock_table" {
  value       = aws_dynamodb_table.lock.name
  description = "DynamoDB lock table of envs/<env>'s backend."
}

output "state_kms_key_arn" {
  value       = aws_kms_key.state.arn
  description = "KMS key of the state."
}
