# The service on ECS Fargate. The index directory lives on the task's ephemeral storage and is
# rebuilt from the catalog's documents or restored from S3 (`docrag backup restore`) on a new task;
# one task per index (desired_count = 1), as in the Kubernetes StatefulSet.
resource "aws_ecs_cluster" "main" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "service" {
  name              = "/ecs/${var.name}"
  retention_in_days = 30
}

resource "aws_security_group" "service" {
  name   = "${var.name}-service"
  vpc_id = var.vpc_id
  egress {
    description = "S3, Secrets Manager, RDS"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

data "aws_iam_policy_document" "tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.api_keys_secret_arn, aws_db_instance.catalog.master_user_secret[0].secret_arn]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  assume_role_policy = data.aws_iam_policy_document.tasks_assume.json
}

data "aws_iam_policy_document" "task_backups" {
  statement {
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.backups.arn]
  }
  statement {
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.backups.arn}/*"]
  }
  statement {
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.backups.arn]
  }
}

resource "aws_iam_role_policy" "task_backups" {
  name   = "backups"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task_backups.json
}

resource "aws_ecs_task_definition" "service" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  ephemeral_storage {
    size_in_gib = 50
  }
  container_definitions = jsonencode([{
    name         = "docrag"
    image        = var.container_image
    essential    = true
    command      = ["serve", "--host", "0.0.0.0", "--port", tostring(var.container_port)]
    portMappings = [{ containerPort = var.container_port, protocol = "tcp" }]
    stopTimeout  = 40
    environment = [
      { name = "DOCRAG_INDEX_DIR", value = "/data/docrag" },
      { name = "DOCRAG_DB_URL", value = "jdbc:postgresql://${aws_db_instance.catalog.endpoint}/docrag" },
      { name = "DOCRAG_DB_USER", value = "docrag" },
      { name = "DOCRAG_BACKUP_REPO", value = "s3://${aws_s3_bucket.backups.bucket}/docrag/" },
      { name = "AWS_REGION", value = var.region },
      { name = "LOG_FORMAT", value = "json" },
      { name = "LOG_LEVEL", value = "info" },
    ]
    secrets = [
      { name = "DOCRAG_WRITE_KEYS", valueFrom = "${var.api_keys_secret_arn}:write_keys::" },
      { name = "DOCRAG_READ_KEYS", valueFrom = "${var.api_keys_secret_arn}:read_keys::" },
      { name = "DOCRAG_DB_PASSWORD", valueFrom = "${aws_db_instance.catalog.master_user_secret[0].secret_arn}:password::" },
    ]
    # `docrag health` asks /readyz; the image has no shell or curl, so the check is the CLI itself.
    healthCheck = {
      command     = ["CMD", "/opt/java/bin/java", "-cp", "/app/resources:/app/classes:/app/libs/*", "dev.docrag.examples.cli.DocRagCli", "health", "--url", "http://127.0.0.1:${var.container_port}"]
      interval    = 30
      timeout     = 10
      retries     = 3
      startPeriod = 120
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "docrag"
      }
    }
  }])
}

resource "aws_ecs_service" "service" {
  name                               = var.name
  cluster                            = aws_ecs_cluster.main.id
  task_definition                    = aws_ecs_task_definition.service.arn
  desired_count                      = 1
  launch_type                        = "FARGATE"
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100
  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.service.id]
    assign_public_ip = false
  }
}
