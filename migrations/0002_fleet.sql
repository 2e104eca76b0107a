CREATE TABLE "fleet_workers" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"version" text NOT NULL,
	"concurrency" integer NOT NULL,
	"work_dir" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"draining" boolean DEFAULT false NOT NULL,
	"stopped_at" timestamp with time zone,
	"stats" jsonb DEFAULT '{"cpu":0,"memoryBytes":0,"agentsAlive":0,"storyRuns":[]}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "story_run_leases" (
	"story_run_id" text PRIMARY KEY NOT NULL,
	"worker_id" text,
	"token" bigint NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "story_run_leases" ADD CONSTRAINT "story_run_leases_story_run_id_story_runs_id_fk" FOREIGN KEY ("story_run_id") REFERENCES "public"."story_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "fleet_workers_heartbeat_idx" ON "fleet_workers" USING btree ("heartbeat_at");