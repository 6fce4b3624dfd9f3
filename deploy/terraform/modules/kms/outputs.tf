output "key_arn" {
  value       = aws_kms_key.main.arn
  description = "ARN of the environment's customer-managed key."
}

output "key_id" {
  value       = aws_kms_key.main.key_id
  description = "Id of the environment's customer-managed key."
}
