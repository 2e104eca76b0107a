import fs from 'node:fs';
import path from 'node:path';
import type { AuthorisedRuns } from '../../../shared/stories';
import { parsePrdText, PrdActionError, PrdService, type PrdView } from '../../core/prd';
import { readInputFile } from '../../core/stories';
import { sha256Hex } from '../../core/hash';
import { CliError, usageError, type CliCommand } from '../cli-types';
import { withCliStore } from './import';
import { parseAgent } from './run';

interface Target {
  prdId: string;
  /** When named by file: that file's current hash, to refuse deciding on text that was never imported. */
  fileHash: string | null;
  file: string | null;
}

async function resolveTarget(arg: string, cwd: string, service: PrdService): Promise<Target> {
  const abs = path.resolve(cwd, arg);
  const looksLikeFile = /\.(md|markdown)$/i.test(arg) || arg.includes('/') || arg.includes(path.sep);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) {
    if (looksLikeFile)
      throw new CliError(`${arg}: no such file. Give a PRD id or the path of an imported PRD file.`, 1, 'not_found');
    return { prdId: arg, fileHash: null, file: null };
  }
  const read = await readInputFile(abs);
  if (!read.ok) throw new CliError(`${arg}: ${read.message} ${read.suggestion}`, 1, 'unreadable');
  const parsed = parsePrdText(read.text, arg);
  const byPath = await service.findBySourcePath(abs);
  const prdId = parsed.prd?.id ?? byPath?.id;
  if (!prdId)
    throw new CliError(
      `${arg} has not been imported as a PRD (and its front matter has errors). Run wave validate ${arg}, then wave import ${arg}.`,
      1,
      'not_found',
    );
  return { prdId, fileHash: sha256Hex(read.text), file: arg };
}

function viewJson(v: PrdView) {
  return {
    prd: {
      id: v.prd.id,
      title: v.prd.title,
      status: v.prd.status,
      content: v.prd.content,
      contentHash: v.prd.contentHash,
      sourcePath: v.prd.sourcePath,
      storyIds: v.prd.storyIds,
      voidReason: v.prd.voidReason,
      projectId: v.prd.projectId,
    },
    approval: v.approval,
    plan: v.plan,
    stories: v.stories.map((s) => ({
      storyId: s.storyId,
      title: s.title,
      domain: s.domain,
      waveNumber: s.waveNumber,
      schemaVersion: s.schemaVersion,
      contentHash: s.contentHash,
      sourcePath: s.sourcePath,
    })),
    missingStoryIds: v.missingStoryIds,
    runs: v.runs,
    decisions: v.decisions.map((d) => ({
      decision: d.decision,
      by: d.by,
      name: d.name,
      comment: d.comment,
      contentHash: d.contentHash,
      at: d.createdAt.toISOString(),
      voidedAt: d.voidedAt?.toISOString() ?? null,
      voidReason: d.voidReason,
    })),
  };
}

function renderView(v: PrdView, fileNote: string | null): string {
  const byId = new Map(v.stories.map((s) => [s.storyId, s]));
  const lines = [
    `PRD ${v.prd.id}: ${v.prd.title}`,
    `  status: ${v.prd.status}${v.approval.approved ? ' (valid for the current text and stories)' : ''}`,
    `  sha256: ${v.prd.contentHash}`,
    ...(v.prd.sourcePath ? [`  source: ${v.prd.sourcePath}`] : []),
    `  ${v.approval.reason}`,
    ...(fileNote ? [`  ! ${fileNote}`] : []),
    '',
    `Waves (${v.stories.length} stor${v.stories.length === 1 ? 'y' : 'ies'}):`,
  ];
  for (const w of v.plan.waves) {
    lines.push(`  wave ${w.number}`);
    for (const id of w.storyIds) {
      const s = byId.get(id);
      const c = (s?.content ?? {}) as Record<string, unknown>;
      lines.push(
        `    ${id}  ${s?.title ?? ''}  [${s?.domain ?? '?'}, ${String(c.priority ?? '?')}]${s?.dependencies.length ? `  after ${s.dependencies.join(', ')}` : ''}`,
      );
    }
  }
  if (v.missingStoryIds.length) lines.push(`  not imported: ${v.missingStoryIds.join(', ')}`);
  lines.push('', ...renderRuns(v.runs));
  for (const e of v.plan.errors) lines.push(`  error: ${e.message}\n      fix: ${e.suggestion}`);
  for (const w of v.plan.warnings) lines.push(`  warning: ${w.message}\n      fix: ${w.suggestion}`);
  lines.push('', '─'.repeat(60), v.prd.content.replace(/^\uFEFF/, '').trimEnd(), '─'.repeat(60));
  if (v.decisions.length) {
    lines.push('', 'Decisions:');
    for (const d of v.decisions) {
      lines.push(
        `  ${d.createdAt.toISOString()}  ${d.decision} by ${d.by}${d.name ? ` (as "${d.name}")` : ''}${d.comment ? `: "${d.comment}"` : ''}${d.voidedAt ? `  (void since ${d.voidedAt.toISOString()}: ${d.voidReason ?? ''})` : ''}`,
      );
    }
  }
  return lines.join('\n');
}

const argvLine = (argv: readonly string[]) =>
  argv.map((a) => (/^[\w@%+=:,./{}-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');

/** What approving the PRD authorises to run, as `wave prd show` lists it. */
export function renderRuns(r: AuthorisedRuns): string[] {
  const lines = [`Approving authorises these commands${r.configFile ? ` (from ${r.configFile})` : ''}:`];
  if (r.problem) lines.push(`  ! ${r.problem}`);
  lines.push(
    `  agent preset ${r.agent.preset}: ${r.agent.argv.length ? argvLine(r.agent.argv) : 'no command configured'}${r.agent.stdin ? `  < ${r.agent.stdin}` : ''}`,
  );
  lines.push(`    environment: ${r.agent.env.base.join(' ')}`);
  if (r.agent.env.preset.length) lines.push(`      preset ${r.agent.preset}: ${r.agent.env.preset.join(', ')}`);
  lines.push(`      agent.env.pass: ${r.agent.env.pass.join(', ') || 'none'}`);
  lines.push(`      agent.env.set: ${r.agent.env.set.join(', ') || 'none'}`);
  lines.push(`  setup: ${r.setup ? argvLine(r.setup) : 'none'}`);
  if (r.qa.length === 0) lines.push('  QA: none');
  for (const c of r.qa) lines.push(`  QA ${c.name}: ${argvLine(c.argv)}`);
  if (r.validation.length === 0) lines.push('  validation: none');
  for (const v of r.validation) for (const c of v.commands) lines.push(`  validation ${v.storyId}: ${argvLine(c)}`);
  return lines;
}

export const prdCommand: CliCommand = {
  name: 'prd',
  summary: 'Show, approve or reject a PRD (an approval holds only for the exact text and stories approved)',
  usage:
    'wave prd show|approve|reject <id|file> [--agent command|claude-code|scripted] [--by NAME] [--comment TEXT] [--json]',
  help: [
    'show: the PRD, its stories grouped into waves, planning problems, every command approving it authorises',
    '  (agent, setup, QA, validation, and the environment names the agent gets), approval status and decisions.',
    'approve: refused while stories are missing or cannot be planned. Binds the approval to the sha256 of the PRD',
    '  text, of each story and of the commands listed; any later change voids it and says what changed.',
    'reject: needs --comment saying what to change.',
    "An approval is for one agent preset (its argument template and environment): wave.config.json's, or the one",
    '  --agent names (what the Settings view or wave run --agent will run). show --agent P lists what P would run;',
    '  a session with another preset is refused until the PRD is approved for it (approve --agent P).',
    'The decision is recorded as your user (WAVE_USER, else the OS user); --by NAME is shown beside it.',
    'Naming the PRD by its file also checks the file is the text that was imported.',
  ].join('\n'),
  options: {
    by: { type: 'string' },
    comment: { type: 'string' },
    agent: { type: 'string' },
  },
  async run(ctx, args) {
    const [action, ref, ...extra] = args.positionals;
    if (!action || !['show', 'approve', 'reject'].includes(action) || !ref || extra.length) {
      throw usageError(`Usage: ${prdCommand.usage}`);
    }
    const name = (args.values.by as string | undefined)?.trim() || null;
    const comment = (args.values.comment as string | undefined)?.trim() || null;
    const by = ctx.settings.actor;
    const agentPreset = parseAgent(args.values.agent);
    if (action === 'reject' && !comment) throw usageError('wave prd reject needs --comment "<what must change>".');

    return withCliStore(ctx, async (core) => {
      const service = core.prds;
      const target = await resolveTarget(ref, ctx.cwd, service);
      const prd = await service.get(target.prdId);
      if (!prd)
        throw new CliError(
          `No PRD with id "${target.prdId}" has been imported. Import its file first (wave import, then the path of the .md file).`,
          1,
          'not_found',
        );
      const fileNote =
        target.fileHash && target.fileHash !== prd.contentHash
          ? `${target.file} differs from the imported text (sha256 ${target.fileHash.slice(0, 12)}… vs ${prd.contentHash.slice(0, 12)}…): run wave import ${target.file} to import the edit.`
          : null;
      if (action === 'show') {
        const view = await service.show(target.prdId, agentPreset);
        ctx.output({ ...viewJson(view), fileDiffers: fileNote }, () => renderView(view, fileNote));
        return 0;
      }
      if (fileNote)
        throw new CliError(
          `Not ${action === 'approve' ? 'approved' : 'rejected'}: ${fileNote} A decision is always about the imported text.`,
          1,
          'stale_file',
        );
      try {
        const status =
          action === 'approve'
            ? await service.approve(target.prdId, { by, name, comment, agentPreset })
            : await service.reject(target.prdId, { by, name, comment });
        ctx.output({ approval: status }, () =>
          action === 'approve' ? `Approved. ${status.reason}` : `Rejected PRD ${target.prdId}. ${status.reason}`,
        );
        return 0;
      } catch (e) {
        if (e instanceof PrdActionError) throw new CliError(e.message, 1, e.code.replace('-', '_'));
        throw e;
      }
    });
  },
};
