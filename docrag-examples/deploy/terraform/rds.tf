# The catalog (DOCRAG_DB_URL): PostgreSQL, encrypted, in private subnets, reachable from the
# service's tasks only; the master password is generated and kept by RDS in Secrets Manager.
resource "aws_db_subnet_group" "catalog" {
  name       = "${var.name}-catalog"
  subnet_ids = var.private_subnet_ids
}

resource "aws_security_group" "catalog" {
  name   = "${var.name}-catalog"
  vpc_id = var.vpc_id
  ingress {
    description     = "PostgreSQL from the DocRag tasks"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.service.id]
  }
}

resource "aws_db_instance" "catalog" {
  identifier                  = "${var.name}-catalog"
  engine                      = "postgres"
  engine_version              = "16"
  instance_class              = var.db_instance_class
  allocated_storage           = 20
  max_allocated_storage       = 100
  storage_encrypted           = true
  db_name                     = "docrag"
  username                    = "docrag"
  manage_master_user_password = true
  db_subnet_group_name        = aws_db_subnet_group.catalog.name
  vpc_security_group_ids      = [aws_security_group.catalog.id]
  publicly_accessible         = false
  backup_retention_period     = 7
  deletion_protection         = true
  skip_final_snapshot         = false
  final_snapshot_identifier   = "${var.name}-catalog-final"
}
