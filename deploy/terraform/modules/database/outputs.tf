output "address" {
  value       = aws_db_instance.main.address
  description = "Hostname of the instance."
}

output "port" {
  value       = aws_db_instance.main.port
  description = "Port of the instance."
}

output "db_name" {
  value       = aws_db_instance.main.db_name
  description = "Database name."
}

output "master_username" {
  value       = aws_db_instance.main.username
  description = "Master user name (not a secret; the password is)."
}

output "master_user_secret_arn" {
  value       = aws_db_instance.main.master_user_secret[0].secret_arn
  description = "RDS-managed secret (JSON with username and password)."
}

output "instance_id" {
  value       = aws_db_instance.main.identifier
  description = "DB instance identifier (CloudWatch dimension)."
}
