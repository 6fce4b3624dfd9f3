output "log_group_names" {
  value       = { for name in var.service_names : name => aws_cloudwatch_log_group.service[name].name }
  description = "Service -> log group."
}

output "log_group_arns" {
  value       = [for g in aws_cloudwatch_log_group.service : g.arn]
  description = "ARNs of the service log groups."
}

output "exec_log_group_name" {
  value       = aws_cloudwatch_log_group.service["ecs-exec"].name
  description = "Log group of ECS Exec sessions."
}

output "alarm_topic_arn" {
  value       = aws_sns_topic.alarms.arn
  description = "SNS topic the alarms notify."
}
