# DocRag on AWS: the example service on ECS Fargate, its backups in an encrypted S3 bucket, its
# catalog on RDS PostgreSQL. `terraform init && terraform plan -var container_image=...`.
# Checked without a cloud account by DeployKitTest (structure, references, encryption, lifecycle).
terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      Project = var.name
    }
  }
}
