variable "project" {
  type        = string
  description = "Name prefix."
}

variable "environment" {
  type        = string
  description = "dev, staging or prod."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets of the cache subnet group."
}

variable "security_group_id" {
  type        = string
  description = "Security group of the replication group."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for data at rest and for the secrets."
}

variable "node_type" {
  type        = string
  description = "Node type (cache.t4g.small in dev)."
}

variable "num_cache_clusters" {
  type        = number
  description = "Primary plus replicas; more than one enables automatic failover across AZs."
}

variable "engine_version" {
  type        = string
  default     = "7.1"
  description = "Redis version."
}

variable "snapshot_retention_days" {
  type        = number
  default     = 1
  description = "Daily snapshots kept (the cache can be rebuilt; limits are short-lived)."
}
