# The inputs of an environment. The envs pass their terraform.tfvars values through as they are: null
# (not set there) means the default here (nullable = false).
variable "environment" {
  type        = string
  description = "dev, staging or prod: names, tags and the GitHub environment the roles trust."
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "certificate_arn" {
  type        = string
  nullable    = false
  description = "ACM certificate (in the provider's region) of the HTTPS listeners."
}

variable "github_repository" {
  type        = string
  nullable    = false
  description = "owner/name of the GitHub repository the OIDC roles trust."
}

variable "create_github_oidc_provider" {
  type        = bool
  default     = true
  nullable    = false
  description = "Create the account's GitHub OIDC provider (false if another env in this account has it)."
}

variable "cognito_domain_prefix" {
  type        = string
  default     = "binance-merchant-platform"
  nullable    = false
  description = "Cognito hosted domain prefix (globally unique; -<environment> is appended)."
}

variable "api_domain_name" {
  type        = string
  default     = ""
  nullable    = false
  description = "DNS name of the API (empty: the ALB's name)."
}

variable "dagster_domain_name" {
  type        = string
  default     = ""
  nullable    = false
  description = "Private DNS name of the Dagster UI (empty: the internal ALB's name)."
}

variable "admin_cidrs" {
  type        = list(string)
  default     = []
  nullable    = false
  description = "VPN/office networks allowed to the Dagster UI."
}

variable "alarm_emails" {
  type        = list(string)
  default     = []
  nullable    = false
  description = "Addresses notified by the CloudWatch alarms."
}

variable "enable_waf" {
  type        = bool
  default     = true
  nullable    = false
  description = "WAF in front of the API."
}

variable "image_tag" {
  type        = string
  default     = null
  description = "Image tag of the first task definition revisions (deploys register later ones); null: latest-<environment>."
}

variable "log_retention_days" {
  type        = number
  default     = 365
  nullable    = false
  description = "Retention of the flow, WAF and service logs."
}

# Sizing: what differs between the envs.

variable "vpc_cidr" {
  type        = string
  description = "CIDR of the VPC (a /16)."
}

variable "availability_zones" {
  type        = list(string)
  description = "Availability zones of the subnets (and NAT gateways)."
}

variable "single_nat_gateway" {
  type        = bool
  description = "One NAT gateway for all private subnets (cheaper, not zone-redundant)."
}

variable "db_instance_class" {
  type        = string
  description = "RDS instance class."
}

variable "db_multi_az" {
  type        = bool
  description = "RDS standby in a second AZ."
}

variable "db_storage_gb" {
  type        = number
  description = "RDS initial storage."
}

variable "db_backup_retention_days" {
  type        = number
  description = "RDS automated backup retention."
}

variable "cache_node_type" {
  type        = string
  description = "ElastiCache node type."
}

variable "cache_nodes" {
  type        = number
  description = "ElastiCache primary plus replicas (more than one: automatic failover)."
}

variable "api_min_tasks" {
  type        = number
  description = "Fewest API tasks (autoscaling)."
}

variable "api_max_tasks" {
  type        = number
  description = "Most API tasks (autoscaling)."
}

variable "service_sizes" {
  type = map(object({
    cpu           = number
    memory        = number
    desired_count = number
  }))
  description = "Per ECS service (the six of the contract): Fargate CPU units, memory MiB, tasks."
}
