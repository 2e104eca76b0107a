import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import type { NewStoryRun, Session } from '../../store';
import { loadWaveConfig, WaveConfigError } from '../config';
import { assertAgentName } from '../executor';
import { PrdNotApprovedError } from '../prd';
import { resolveAgentPreset } from './agent-presets';
import { readKillSwitch, killSwitchPath } from './control-files';
import { OrchestratorError } from './errors';
import type { OrchestratorEnv } from './orchestrator-env';
import {
  AGENT_PRESETS,
  configFromWaveConfig,
  defaultGates,
  type AgentPresetName,
  type SessionConfig,
} from './session-config';

export interface StartSessionRequest {
  prdId: string;
  /** Overrides wave.config.json's budgetUsd; null = no limit. */
  budgetUsd?: number | null;
  concurrency?: number;
  agentPreset?: AgentPresetName;
  /** Who starts it (audit log). */
  actor?: string;
  /** When set, the PRD's project must be this repository. */
  projectPath?: string;
}

function newSessionId(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `ses-${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${randomBytes(3).toString('hex')}`;
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The project's wave.config.json; a broken one is a precondition the lead must fix. */
export async function loadProjectConfig(repoPath: string) {
  try {
    return await loadWaveConfig(repoPath);
  } catch (e) {
    if (e instanceof WaveConfigError) throw new OrchestratorError('precondition_failed', `The project's ${e.message}`);
    throw e;
  }
}

/** The PRD's approval for the agent preset a session runs with, or the refusal (prefixed with `refused`) saying what to approve. */
export async function assertApprovedFor(o: OrchestratorEnv, prdId: string, preset: AgentPresetName, refused: string) {
  try {
    return await o.prds.assertApproved(prdId, preset);
  } catch (e) {
    if (e instanceof PrdNotApprovedError)
      throw new OrchestratorError('precondition_failed', `${refused}: ${e.message}`);
    throw e;
  }
}

/** Throws what the lead must configure when the session's agent preset cannot be built. */
export function assertPresetUsable(config: SessionConfig, env: NodeJS.ProcessEnv): void {
  try {
    resolveAgentPreset(config.agent.preset, config.agent.command, env);
  } catch (e) {
    throw new OrchestratorError('precondition_failed', (e as Error).message);
  }
}

/**
 * Refuses a session on a repository another session of this process runs on, or whose kill
 * switch (.wave/STOP) is set.
 */
export function assertRepoFree(
  running: ReadonlyMap<string, { config: { repoPath: string } }>,
  repoPath: string,
  except?: string,
): void {
  for (const [id, run] of running) {
    if (id !== except && run.config.repoPath === repoPath) {
      throw new OrchestratorError(
        'conflict',
        `Session ${id} is already running on ${repoPath}. Wait for it to end or stop it before starting another one on the same repository.`,
      );
    }
  }
  const kill = readKillSwitch(repoPath);
  if (kill !== null) {
    throw new OrchestratorError(
      'precondition_failed',
      `The kill switch ${killSwitchPath(repoPath)} is set${kill ? ` ("${kill}")` : ''}: nothing runs on this repository while it exists. Delete the file to allow sessions again.`,
    );
  }
}

/**
 * Records a new session over an approved PRD, with its frozen config, a queued run per story
 * and the audit entry. Refuses (OrchestratorError, saying what to do) when the PRD is missing,
 * unapproved or changed since its approval, belongs to another project, its stories cannot
 * be planned into waves, or a setting is out of range.
 */
export async function createSession(
  o: OrchestratorEnv,
  req: StartSessionRequest,
  assertRepoFree: (repoPath: string) => void,
  /** On the fleet: its story runs go to `wave worker` processes and it is never recovered in-process. */
  fleet = false,
): Promise<{ row: Session; config: SessionConfig }> {
  const prd = await o.prds.get(req.prdId);
  if (!prd)
    throw new OrchestratorError(
      'not_found',
      `No PRD with id "${req.prdId}" has been imported. Import it first (wave import <prd.md>).`,
    );
  if (!prd.projectId)
    throw new OrchestratorError(
      'precondition_failed',
      `PRD ${req.prdId} belongs to no project. Re-import it with --project <repo>.`,
    );
  const project = await o.repo.project(prd.projectId);
  if (!project)
    throw new OrchestratorError(
      'precondition_failed',
      `The project ${prd.projectId} of PRD ${req.prdId} is missing from the database. Re-import the PRD with --project <repo>.`,
    );
  if (req.projectPath && realOrSelf(project.repoPath) !== realOrSelf(req.projectPath)) {
    throw new OrchestratorError(
      'precondition_failed',
      `PRD ${req.prdId} belongs to ${project.repoPath}, not to the chosen project ${req.projectPath}. Open that project in Settings, or import the PRD into this one.`,
    );
  }
  if (!existsSync(project.repoPath))
    throw new OrchestratorError(
      'precondition_failed',
      `The repository ${project.repoPath} of PRD ${req.prdId} does not exist any more. Restore it or re-import the PRD into the right project.`,
    );
  assertRepoFree(project.repoPath);
  const loaded = await loadProjectConfig(project.repoPath);
  const view = await o.prds.show(req.prdId);
  if (!view.plan.ok) {
    throw new OrchestratorError(
      'precondition_failed',
      `The stories of PRD ${req.prdId} cannot be planned into waves: ${view.plan.errors.map((e) => `${e.message} ${e.suggestion}`).join(' ')}`,
    );
  }
  const presetName = req.agentPreset ?? loaded.config.agent.preset;
  if (!AGENT_PRESETS.includes(presetName))
    throw new OrchestratorError(
      'invalid_request',
      `Unknown agent preset "${presetName}"; use one of ${AGENT_PRESETS.join(', ')}.`,
    );
  // The approval must cover the preset that will run (its arguments and environment).
  const approval = await assertApprovedFor(o, req.prdId, presetName, 'Session not started');
  const concurrency = req.concurrency ?? loaded.config.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new OrchestratorError(
      'invalid_request',
      `Concurrency must be a whole number from 1 to 64 (got ${concurrency}).`,
    );
  const budgetUsd = req.budgetUsd !== undefined ? req.budgetUsd : loaded.config.budgetUsd;
  if (budgetUsd !== null && !(budgetUsd >= 0))
    throw new OrchestratorError(
      'invalid_request',
      `The budget must be a positive number of US dollars (got ${budgetUsd}).`,
    );

  const config: SessionConfig = {
    v: 1,
    repoPath: project.repoPath,
    projectName: project.name,
    prdId: req.prdId,
    prdHash: approval.currentHash,
    targetBranch: loaded.config.targetBranch,
    concurrency,
    agent: { preset: presetName, command: loaded.config.agent.command },
    ...configFromWaveConfig(loaded.config),
    waves: view.plan.waves.map((w) => ({ number: w.number, storyIds: [...w.storyIds] })),
    gates: defaultGates(),
    fleet,
  };
  assertPresetUsable(config, o.env);

  const sessionId = newSessionId();
  const byId = new Map((await o.repo.projectStories(project.id)).map((s) => [s.storyId, s]));
  const runs: NewStoryRun[] = config.waves.flatMap((w) =>
    w.storyIds.map((storyId) => {
      const declared = (byId.get(storyId)?.content as { agent?: unknown } | undefined)?.agent;
      let agent: string = presetName;
      if (typeof declared === 'string') {
        try {
          agent = assertAgentName(declared);
        } catch {
          // Not usable in a branch name: the preset's name is.
        }
      }
      return {
        id: `${sessionId}:${storyId}`,
        sessionId,
        storyId,
        waveNumber: w.number,
        agent,
        status: 'queued' as const,
        currentGate: 'gate-0' as const,
      };
    }),
  );
  const row = await o.repo.createSession(
    {
      id: sessionId,
      projectId: project.id,
      prdId: req.prdId,
      budgetUsd,
      config: config as unknown as Record<string, unknown>,
    },
    runs,
    {
      actor: req.actor ?? 'wave',
      action: 'session.start',
      subjectType: 'session',
      subjectId: sessionId,
      detail: {
        prdId: req.prdId,
        prdHash: approval.currentHash,
        approvedBy: approval.approvedBy,
        budgetUsd,
        concurrency,
        agentPreset: presetName,
        stories: runs.length,
      },
    },
  );
  return { row, config };
}
