CREATE TABLE "context_packs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"gate_run_id" bigint NOT NULL,
	"session_id" text NOT NULL,
	"story_run_id" text NOT NULL,
	"story_id" text NOT NULL,
	"gate" text NOT NULL,
	"tree" text NOT NULL,
	"file_count" integer NOT NULL,
	"total_tokens" integer NOT NULL,
	"budget_tokens" integer NOT NULL,
	"repo_tokens" integer NOT NULL,
	"left_out" integer DEFAULT 0 NOT NULL,
	"files" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "context_packs" ADD CONSTRAINT "context_packs_gate_run_id_gate_runs_id_fk" FOREIGN KEY ("gate_run_id") REFERENCES "public"."gate_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "context_packs_gate_run_idx" ON "context_packs" USING btree ("gate_run_id");--> statement-breakpoint
CREATE INDEX "context_packs_session_idx" ON "context_packs" USING btree ("session_id","story_id");