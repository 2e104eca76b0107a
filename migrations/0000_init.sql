CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "checkpoints" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"story_run_id" text NOT NULL,
	"gate" text NOT NULL,
	"gate_run_id" bigint,
	"gate_status" text DEFAULT 'passed' NOT NULL,
	"epoch" integer DEFAULT 0 NOT NULL,
	"state" jsonb NOT NULL,
	"state_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"superseded_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "dead_letters" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"session_id" text,
	"event_id" text NOT NULL,
	"stream" text NOT NULL,
	"reason" text NOT NULL,
	"deliveries" integer DEFAULT 0 NOT NULL,
	"payload" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"story_id" text,
	"seq" bigint NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"produced_at" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "gate_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"story_run_id" text NOT NULL,
	"session_id" text NOT NULL,
	"gate" text NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"epoch" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"duration_ms" integer,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"cost_usd" numeric(12, 6) DEFAULT 0 NOT NULL,
	"log_path" text,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "latency_stats" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_type" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"window_ms" integer NOT NULL,
	"count" integer NOT NULL,
	"p50_ms" double precision NOT NULL,
	"p95_ms" double precision NOT NULL,
	"p99_ms" double precision NOT NULL,
	"max_ms" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "prd_decisions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"prd_id" text NOT NULL,
	"decision" text NOT NULL,
	"by" text NOT NULL,
	"comment" text,
	"content_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"voided_at" timestamp with time zone,
	"void_reason" text
);
--> statement-breakpoint
CREATE TABLE "prds" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text,
	"title" text NOT NULL,
	"source_path" text,
	"content" text NOT NULL,
	"content_hash" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"story_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"void_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "processed_events" (
	"consumer" text NOT NULL,
	"event_id" text NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_events_consumer_event_id_pk" PRIMARY KEY("consumer","event_id")
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"repo_path" text NOT NULL,
	"target_branch" text DEFAULT 'main' NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_repo_path_unique" UNIQUE("repo_path")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"prd_id" text,
	"status" text DEFAULT 'created' NOT NULL,
	"budget_usd" numeric(12, 6),
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"owner_pid" integer,
	"owner_host" text,
	"heartbeat_at" timestamp with time zone,
	"stop_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "stories" (
	"project_id" text NOT NULL,
	"story_id" text NOT NULL,
	"prd_id" text,
	"title" text NOT NULL,
	"domain" text NOT NULL,
	"wave_number" integer NOT NULL,
	"schema_version" text NOT NULL,
	"content" jsonb NOT NULL,
	"content_hash" text NOT NULL,
	"source_path" text,
	"dependencies" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stories_project_id_story_id_pk" PRIMARY KEY("project_id","story_id")
);
--> statement-breakpoint
CREATE TABLE "story_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"story_id" text NOT NULL,
	"wave_number" integer NOT NULL,
	"agent" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"current_gate" text,
	"last_passed_gate" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"branch" text,
	"worktree_path" text,
	"base_sha" text,
	"merge_sha" text,
	"cost_usd" numeric(12, 6) DEFAULT 0 NOT NULL,
	"reason" text,
	"epoch" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usage" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"story_run_id" text,
	"story_id" text,
	"gate" text,
	"agent" text NOT NULL,
	"model" text NOT NULL,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"cache_read_tokens" integer DEFAULT 0 NOT NULL,
	"cache_write_tokens" integer DEFAULT 0 NOT NULL,
	"cost_usd" numeric(12, 6) DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "checkpoints" ADD CONSTRAINT "checkpoints_story_run_id_story_runs_id_fk" FOREIGN KEY ("story_run_id") REFERENCES "public"."story_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gate_runs" ADD CONSTRAINT "gate_runs_story_run_id_story_runs_id_fk" FOREIGN KEY ("story_run_id") REFERENCES "public"."story_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prd_decisions" ADD CONSTRAINT "prd_decisions_prd_id_prds_id_fk" FOREIGN KEY ("prd_id") REFERENCES "public"."prds"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prds" ADD CONSTRAINT "prds_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "story_runs" ADD CONSTRAINT "story_runs_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_subject_idx" ON "audit_log" USING btree ("subject_type","subject_id");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "checkpoints_story_run_id_idx" ON "checkpoints" USING btree ("story_run_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "checkpoints_session_idx" ON "checkpoints" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "dead_letters_session_idx" ON "dead_letters" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "events_session_seq_idx" ON "events" USING btree ("session_id","seq");--> statement-breakpoint
CREATE INDEX "events_undelivered_idx" ON "events" USING btree ("produced_at") WHERE delivered_at is null;--> statement-breakpoint
CREATE INDEX "gate_runs_story_run_idx" ON "gate_runs" USING btree ("story_run_id","gate");--> statement-breakpoint
CREATE INDEX "gate_runs_session_idx" ON "gate_runs" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "latency_stats_type_window_idx" ON "latency_stats" USING btree ("event_type","window_start");--> statement-breakpoint
CREATE INDEX "prd_decisions_prd_idx" ON "prd_decisions" USING btree ("prd_id");--> statement-breakpoint
CREATE INDEX "prds_project_idx" ON "prds" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "sessions_status_idx" ON "sessions" USING btree ("status");--> statement-breakpoint
CREATE INDEX "sessions_project_idx" ON "sessions" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "stories_prd_idx" ON "stories" USING btree ("prd_id");--> statement-breakpoint
CREATE INDEX "story_runs_session_idx" ON "story_runs" USING btree ("session_id");--> statement-breakpoint
CREATE UNIQUE INDEX "story_runs_session_story_uq" ON "story_runs" USING btree ("session_id","story_id");--> statement-breakpoint
CREATE INDEX "usage_session_idx" ON "usage" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "usage_story_run_idx" ON "usage" USING btree ("story_run_id");