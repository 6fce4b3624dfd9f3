# Application secrets whose values come from outside (filled by an operator after the first apply, see
# the README's "Terraform" section). Terraform creates the secret, never its value.
resource "aws_secretsmanager_secret" "external" {
  #checkov:skip=CKV2_AWS_57:These values are issued outside AWS (a chat webhook URL); they are rotated where they are issued, then put here
  for_each    = var.external_secrets
  name        = "${var.project}/${var.environment}/${each.key}"
  description = each.value
  kms_key_id  = var.kms_key_arn
}
