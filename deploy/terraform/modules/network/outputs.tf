output "vpc_id" {
  value       = aws_vpc.main.id
  description = "VPC id."
}

output "vpc_cidr" {
  value       = aws_vpc.main.cidr_block
  description = "VPC CIDR."
}

output "public_subnet_ids" {
  value       = aws_subnet.public[*].id
  description = "Public subnets (load balancers, NAT)."
}

output "private_subnet_ids" {
  value       = aws_subnet.private[*].id
  description = "Private subnets (tasks, database, cache)."
}

output "public_alb_security_group_id" {
  value       = aws_security_group.public_alb.id
  description = "Security group of the API's internet-facing ALB."
}

output "internal_alb_security_group_id" {
  value       = aws_security_group.internal_alb.id
  description = "Security group of the webserver's internal ALB."
}

output "tasks_security_group_id" {
  value       = aws_security_group.tasks.id
  description = "Security group of every ECS task (services and runs)."
}

output "database_security_group_id" {
  value       = aws_security_group.database.id
  description = "Security group of RDS."
}

output "cache_security_group_id" {
  value       = aws_security_group.cache.id
  description = "Security group of ElastiCache."
}
