import { z } from 'zod';
import { PRD_STATUSES } from '../status';

/*
 * zod mirrors of what the stories/PRD services return, for the IPC contract and the
 * renderer. The TypeScript types in types.ts and these schemas describe the same shapes.
 */

export const StoryIssueSchema = z.object({
  severity: z.enum(['error', 'warning']),
  code: z.string(),
  file: z.string(),
  pointer: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  message: z.string(),
  suggestion: z.string(),
  value: z.unknown().optional(),
});

export const IMPORT_STATUSES = ['imported', 'updated', 'unchanged', 'invalid', 'skipped'] as const;

export const VoidedApprovalSchema = z.object({
  prdId: z.string(),
  reason: z.string(),
});
export type VoidedApproval = z.infer<typeof VoidedApprovalSchema>;

export const ImportFileResultSchema = z.object({
  file: z.string(),
  kind: z.enum(['story', 'prd']),
  status: z.enum(IMPORT_STATUSES),
  /** story_id or PRD id; null when the file could not be read far enough to know it. */
  id: z.string().nullable(),
  version: z.enum(['4.1', '4.2', '4.3']).nullable(),
  /** One line a person reads: what happened to this file. */
  message: z.string(),
  errors: z.array(StoryIssueSchema),
  warnings: z.array(StoryIssueSchema),
  /** Approvals this import voided because it changed what they approved. */
  voided: z.array(VoidedApprovalSchema),
});
export type ImportFileResult = z.infer<typeof ImportFileResultSchema>;

export const ImportReportSchema = z.object({
  projectId: z.string(),
  files: z.array(ImportFileResultSchema),
  summary: z.object({
    imported: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    invalid: z.number().int(),
    skipped: z.number().int(),
  }),
});
export type ImportReport = z.infer<typeof ImportReportSchema>;

export const ApprovalStatusSchema = z.object({
  prdId: z.string(),
  status: z.enum(PRD_STATUSES),
  /** True only when approved AND the approved hash equals the current content's hash AND no story changed since. */
  approved: z.boolean(),
  currentHash: z.string(),
  approvedHash: z.string().nullable(),
  approvedBy: z.string().nullable(),
  approvedAt: z.string().nullable(),
  comment: z.string().nullable(),
  /** sha256 of every command a session would run now (authorised-runs.ts); an approval holds only while it is the one approved. */
  runsHash: z.string(),
  /** Plain-language explanation: why it is (not) approved and what to do. */
  reason: z.string(),
  /** What changed since the approval (PRD text, stories added/edited/removed). */
  changes: z.array(z.string()),
});
export type ApprovalStatus = z.infer<typeof ApprovalStatusSchema>;
