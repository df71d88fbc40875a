variable "name" {
  description = "Prefix of every resource's name."
  type        = string
  default     = "docrag"
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "vpc_id" {
  description = "VPC the service and the database run in."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (at least two, in different zones) for the tasks and the database."
  type        = list(string)
}

variable "container_image" {
  description = "The service image (the Jib tarball or deploy/Dockerfile, pushed to ECR)."
  type        = string
}

variable "container_port" {
  description = "Port `docrag serve` listens on (ServiceConfig.DEFAULT_PORT)."
  type        = number
  default     = 8080
}

variable "task_cpu" {
  description = "Fargate task CPU units."
  type        = number
  default     = 1024
}

variable "task_memory" {
  description = "Fargate task memory in MiB; the JVM takes 75% of it as heap."
  type        = number
  default     = 3072
}

variable "db_instance_class" {
  description = "RDS instance class of the catalog database."
  type        = string
  default     = "db.t4g.small"
}

variable "backup_retention_days" {
  description = "Days after which backup objects expire in S3 (DocRag's own retention prunes first)."
  type        = number
  default     = 35
}

variable "api_keys_secret_arn" {
  description = "Secrets Manager secret holding DOCRAG_WRITE_KEYS (JSON key write_keys) and DOCRAG_READ_KEYS (read_keys)."
  type        = string
}
