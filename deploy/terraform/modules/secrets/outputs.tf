output "alert_webhook_url_secret_arn" {
  value       = aws_secretsmanager_secret.external["alert-webhook-url"].arn
  description = "Secret of the alert webhook URL."
}

output "secret_arns" {
  value       = [for s in aws_secretsmanager_secret.external : s.arn]
  description = "ARNs of every secret made here."
}
