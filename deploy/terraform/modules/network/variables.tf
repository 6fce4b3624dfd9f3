variable "project" {
  type        = string
  description = "Name prefix of every resource."
}

variable "environment" {
  type        = string
  description = "dev, staging or prod."
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR of the VPC (a /16: public subnets take /24s at its start, private subnets /20s after them)."
}

variable "availability_zones" {
  type        = list(string)
  description = "Availability zones used, named explicitly so the set never grows by itself (one public and one private subnet, and a NAT gateway unless single_nat_gateway, in each)."
}

variable "single_nat_gateway" {
  type        = bool
  default     = false
  description = "One NAT gateway for all private subnets (cheaper, not zone-redundant)."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key of the flow-log group."
}

variable "log_retention_days" {
  type        = number
  default     = 365
  description = "Retention of the VPC flow logs."
}

variable "interface_endpoints" {
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts"]
  description = "AWS services reached through interface VPC endpoints."
}

variable "admin_cidrs" {
  type        = list(string)
  default     = []
  description = "Networks (VPN, office) allowed to reach the internal ALB of the Dagster webserver."
}

variable "api_port" {
  type        = number
  default     = 8000
  description = "Container port of the API."
}

variable "webserver_port" {
  type        = number
  default     = 3000
  description = "Container port of the Dagster webserver."
}

variable "internal_task_ports" {
  type        = list(number)
  default     = [3000, 4000, 8000, 9108]
  description = "Ports tasks open to each other: webserver, gRPC code servers, API, exporter metrics."
}
