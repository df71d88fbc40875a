output "backup_bucket" {
  description = "DOCRAG_BACKUP_REPO is s3://<this>/docrag/."
  value       = aws_s3_bucket.backups.bucket
}

output "catalog_endpoint" {
  description = "host:port of the catalog database (DOCRAG_DB_URL)."
  value       = aws_db_instance.catalog.endpoint
}

output "ecs_service" {
  description = "The ECS service running `docrag serve`."
  value       = aws_ecs_service.service.name
}
