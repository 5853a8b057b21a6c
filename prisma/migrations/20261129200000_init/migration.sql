-- Berth console: initial schema. Hand-written to match prisma/schema.prisma
-- (checked by apps/console/src/database/drift.spec.ts).

-- Global, monotonically increasing revision shared by every mutable row.
CREATE SEQUENCE "berth_revision_seq" AS BIGINT START WITH 1;

-- Any INSERT or UPDATE takes a fresh revision, so no code path can forget to bump it.
CREATE FUNCTION "berth_bump_revision"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."revision" := nextval('berth_revision_seq');
  RETURN NEW;
END;
$$;

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('admin', 'operator', 'viewer');

-- CreateTable
CREATE TABLE "nodes" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "capacity" JSONB NOT NULL DEFAULT '{}',
    "allocatable" JSONB NOT NULL DEFAULT '{}',
    "conditions" JSONB NOT NULL DEFAULT '[]',
    "status" TEXT NOT NULL DEFAULT 'Unknown',
    "usage" JSONB,
    "agent_version" TEXT,
    "addresses" JSONB NOT NULL DEFAULT '[]',
    "observed_revision" BIGINT,
    "cert_fingerprint" TEXT,
    "unschedulable" BOOLEAN NOT NULL DEFAULT false,
    "draining" BOOLEAN NOT NULL DEFAULT false,
    "revoked_at" TIMESTAMPTZ(3),
    "last_heartbeat_at" TIMESTAMPTZ(3),
    "revision" BIGINT NOT NULL DEFAULT nextval('berth_revision_seq'),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "nodes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "workloads" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "spec" JSONB NOT NULL,
    "replicas" INTEGER NOT NULL,
    "current_revision" INTEGER NOT NULL,
    "revision" BIGINT NOT NULL DEFAULT nextval('berth_revision_seq'),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "workloads_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "workload_revisions" (
    "id" UUID NOT NULL,
    "workload_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "spec" JSONB NOT NULL,
    "created_by" TEXT,
    "revision" BIGINT NOT NULL DEFAULT nextval('berth_revision_seq'),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "workload_revisions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "assignments" (
    "id" UUID NOT NULL,
    "workload_id" UUID NOT NULL,
    "workload_revision_id" UUID NOT NULL,
    "node_id" TEXT NOT NULL,
    "replica_index" INTEGER NOT NULL,
    "desired_state" TEXT NOT NULL DEFAULT 'running',
    "revision" BIGINT NOT NULL DEFAULT nextval('berth_revision_seq'),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "assignments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "container_statuses" (
    "assignment_id" UUID NOT NULL,
    "node_id" TEXT NOT NULL,
    "container_id" TEXT,
    "state" TEXT NOT NULL,
    "exit_code" INTEGER,
    "restart_count" INTEGER NOT NULL DEFAULT 0,
    "reason" TEXT,
    "message" TEXT,
    "ready" BOOLEAN NOT NULL DEFAULT false,
    "image_digest" TEXT,
    "assignment_revision" BIGINT,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "observed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revision" BIGINT NOT NULL DEFAULT nextval('berth_revision_seq'),

    CONSTRAINT "container_statuses_pkey" PRIMARY KEY ("assignment_id")
);

-- CreateTable
CREATE TABLE "events" (
    "id" BIGSERIAL NOT NULL,
    "type" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "object_kind" TEXT NOT NULL,
    "object_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "username" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "revision" BIGINT NOT NULL DEFAULT nextval('berth_revision_seq'),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "revision" BIGINT NOT NULL DEFAULT nextval('berth_revision_seq'),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "join_tokens" (
    "id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "max_uses" INTEGER,
    "used_count" INTEGER NOT NULL DEFAULT 0,
    "revoked_at" TIMESTAMPTZ(3),
    "created_by" TEXT,
    "revision" BIGINT NOT NULL DEFAULT nextval('berth_revision_seq'),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "join_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "registry_credentials" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "registry" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "secret_enc" BYTEA NOT NULL,
    "revision" BIGINT NOT NULL DEFAULT nextval('berth_revision_seq'),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "registry_credentials_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "actor_id" TEXT,
    "actor_name" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "object_kind" TEXT NOT NULL,
    "object_id" TEXT,
    "request_id" TEXT,
    "details" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "nodes_name_key" ON "nodes"("name");
CREATE UNIQUE INDEX "workloads_name_key" ON "workloads"("name");
CREATE UNIQUE INDEX "workload_revisions_workload_id_number_key" ON "workload_revisions"("workload_id", "number");
CREATE INDEX "assignments_node_id_revision_idx" ON "assignments"("node_id", "revision");
CREATE INDEX "assignments_workload_id_idx" ON "assignments"("workload_id");
CREATE INDEX "assignments_revision_idx" ON "assignments"("revision");
CREATE INDEX "container_statuses_node_id_idx" ON "container_statuses"("node_id");
CREATE INDEX "events_object_kind_object_id_idx" ON "events"("object_kind", "object_id");
CREATE INDEX "events_created_at_idx" ON "events"("created_at");
CREATE UNIQUE INDEX "users_username_key" ON "users"("username");
CREATE UNIQUE INDEX "sessions_token_hash_key" ON "sessions"("token_hash");
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens"("token_hash");
CREATE UNIQUE INDEX "api_tokens_user_id_name_key" ON "api_tokens"("user_id", "name");
CREATE UNIQUE INDEX "join_tokens_token_hash_key" ON "join_tokens"("token_hash");
CREATE UNIQUE INDEX "registry_credentials_name_key" ON "registry_credentials"("name");
CREATE INDEX "audit_log_created_at_idx" ON "audit_log"("created_at");
CREATE INDEX "audit_log_object_kind_object_id_idx" ON "audit_log"("object_kind", "object_id");

-- AddForeignKey
ALTER TABLE "workload_revisions" ADD CONSTRAINT "workload_revisions_workload_id_fkey" FOREIGN KEY ("workload_id") REFERENCES "workloads"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_workload_id_fkey" FOREIGN KEY ("workload_id") REFERENCES "workloads"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_workload_revision_id_fkey" FOREIGN KEY ("workload_revision_id") REFERENCES "workload_revisions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "nodes"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "container_statuses" ADD CONSTRAINT "container_statuses_assignment_id_fkey" FOREIGN KEY ("assignment_id") REFERENCES "assignments"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "container_statuses" ADD CONSTRAINT "container_statuses_node_id_fkey" FOREIGN KEY ("node_id") REFERENCES "nodes"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Revision triggers: every change to a mutable row takes the next global revision.
CREATE TRIGGER "nodes_revision" BEFORE INSERT OR UPDATE ON "nodes" FOR EACH ROW EXECUTE FUNCTION "berth_bump_revision"();
CREATE TRIGGER "workloads_revision" BEFORE INSERT OR UPDATE ON "workloads" FOR EACH ROW EXECUTE FUNCTION "berth_bump_revision"();
CREATE TRIGGER "workload_revisions_revision" BEFORE INSERT OR UPDATE ON "workload_revisions" FOR EACH ROW EXECUTE FUNCTION "berth_bump_revision"();
CREATE TRIGGER "assignments_revision" BEFORE INSERT OR UPDATE ON "assignments" FOR EACH ROW EXECUTE FUNCTION "berth_bump_revision"();
CREATE TRIGGER "container_statuses_revision" BEFORE INSERT OR UPDATE ON "container_statuses" FOR EACH ROW EXECUTE FUNCTION "berth_bump_revision"();
CREATE TRIGGER "users_revision" BEFORE INSERT OR UPDATE ON "users" FOR EACH ROW EXECUTE FUNCTION "berth_bump_revision"();
CREATE TRIGGER "api_tokens_revision" BEFORE INSERT OR UPDATE ON "api_tokens" FOR EACH ROW EXECUTE FUNCTION "berth_bump_revision"();
CREATE TRIGGER "join_tokens_revision" BEFORE INSERT OR UPDATE ON "join_tokens" FOR EACH ROW EXECUTE FUNCTION "berth_bump_revision"();
CREATE TRIGGER "registry_credentials_revision" BEFORE INSERT OR UPDATE ON "registry_credentials" FOR EACH ROW EXECUTE FUNCTION "berth_bump_revision"();
