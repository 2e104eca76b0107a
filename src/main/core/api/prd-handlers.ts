import type { PrdDetail, PrdSummary } from '../../../shared/ipc';
import type { EventHub } from '../rpc';
import { AppError } from '../rpc';
import { PrdActionError, PrdService, type PrdView } from '../prd';
import type { Prd, Store } from '../../store';
import { repositories } from '../../store/repos';
import { forecastFromRuns } from '../prd/forecast';
import { loadWaveConfig } from '../config';
import { ContextForecaster } from '../context/forecast';
import type { DomainHandlers } from './types';

export function toPrdSummary(prd: Prd): PrdSummary {
  return {
    id: prd.id,
    title: prd.title,
    status: prd.status,
    contentHash: prd.contentHash,
    storyCount: prd.storyIds.length,
    updatedAt: prd.updatedAt.toISOString(),
  };
}

export async function toPrdDetail(store: Store, view: PrdView, concurrency: number): Promise<PrdDetail> {
  const byId = new Map(view.stories.map((s) => [s.storyId, s]));
  const last = view.decisions.at(-1) ?? null;
  const waves = view.plan.waves.map((w) => ({
    wave: w.number,
    stories: w.storyIds.map((id) => {
      const s = byId.get(id);
      return { storyId: id, title: s?.title ?? id, domain: s?.domain ?? '', dependencies: s?.dependencies ?? [] };
    }),
  }));
  return {
    ...toPrdSummary(view.prd),
    contentHash: view.approval.currentHash,
    content: view.prd.content,
    voidReason: view.prd.voidReason,
    decision: last
      ? {
          decision: last.decision,
          by: last.by,
          name: last.name,
          comment: last.comment,
          at: last.createdAt.toISOString(),
          contentHash: last.contentHash,
        }
      : null,
    runs: view.runs,
    runsHash: view.approval.runsHash,
    approvalProblem: view.prd.status === 'approved' && !view.approval.approved ? view.approval.reason : null,
    waves,
    warnings: [
      ...view.missingStoryIds.map(
        (id) => `Story ${id} is listed by the PRD but not imported: import its file before approving.`,
      ),
      ...view.plan.errors.map((e) => `${e.message} ${e.suggestion}`),
      ...view.plan.warnings.map((w) => `${w.message} ${w.suggestion}`),
    ],
    forecast: forecastFromRuns(
      await repositories(store).storyRuns.timings(),
      view.stories.length,
      view.plan.waves.map((w) => w.storyIds),
      concurrency,
    ),
  };
}

function mapPrdError(e: unknown): never {
  if (e instanceof PrdActionError) {
    const code =
      e.code === 'not-found' ? 'not_found' : e.code === 'bad-input' ? 'invalid_request' : 'precondition_failed';
    throw new AppError(code, e.message);
  }
  throw e;
}

/** `actor`: who this process runs as (the audit log's actor); the name a client sends is display only. */
export function prdHandlers(deps: {
  store: Store;
  hub: EventHub;
  concurrency: () => Promise<number>;
  /** The preset the window's sessions run with (Settings); undefined: wave.config.json's. */
  agentPreset: () => Promise<string | undefined>;
  actor: () => string;
}): DomainHandlers<'prd'> {
  const service = new PrdService(deps.store);
  const forecaster = new ContextForecaster();
  const repos = repositories(deps.store);
  const detail = async (prdId: string) => {
    const view = await service.show(prdId, await deps.agentPreset()).catch(mapPrdError);
    return toPrdDetail(deps.store, view, await deps.concurrency());
  };
  return {
    'prd.list': async () => (await service.list()).map(toPrdSummary),
    // A view only: nothing here is part of what an approval covers.
    'prd.contextForecast': async (req) => {
      const prd = await repos.prds.byId(req.prdId);
      if (!prd) throw new AppError('not_found', `PRD ${req.prdId} does not exist.`);
      const project = prd.projectId ? await repos.projects.byId(prd.projectId) : null;
      if (!project)
        throw new AppError('not_found', `PRD ${req.prdId} belongs to no project: import it from its repository.`);
      const { config } = await loadWaveConfig(project.repoPath).catch((e: Error) => {
        throw new AppError('precondition_failed', e.message);
      });
      const rows = await repos.stories.withIds(project.id, prd.storyIds);
      const byId = new Map(rows.map((r) => [r.storyId, r]));
      return forecaster.forecast({
        prdId: prd.id,
        repoPath: project.repoPath,
        targetBranch: config.targetBranch,
        domains: config.domains,
        budgetTokens: config.context.budgetTokens,
        stories: prd.storyIds
          .map((id) => byId.get(id))
          .filter((r) => r !== undefined)
          .map((r) => ({ storyId: r.storyId, domain: r.domain, content: r.content, contentHash: r.contentHash })),
      });
    },
    'prd.get': (req) => detail(req.prdId),
    'prd.approve': async (req) => {
      // The approval is for the preset a session started from the window runs with.
      const agentPreset = await deps.agentPreset();
      const status = await service.approvalStatus(req.prdId, agentPreset).catch(mapPrdError);
      if (status.currentHash !== req.contentHash) {
        throw new AppError(
          'precondition_failed',
          `PRD ${req.prdId} changed after you opened it (you read ${req.contentHash.slice(0, 12)}, it is now ${status.currentHash.slice(0, 12)}). Re-read it and approve again.`,
        );
      }
      if (req.runsHash !== undefined && status.runsHash !== req.runsHash) {
        throw new AppError(
          'precondition_failed',
          `The commands PRD ${req.prdId} would run changed after you opened it (${status.changes.join('; ') || 'wave.config.json or a story changed'}). Re-read the list and approve again.`,
        );
      }
      await service
        .approve(req.prdId, { by: deps.actor(), name: req.by, comment: req.comment, agentPreset })
        .catch(mapPrdError);
      const d = await detail(req.prdId);
      deps.hub.publish('prd.changed', d);
      return d;
    },
    'prd.reject': async (req) => {
      await service.reject(req.prdId, { by: deps.actor(), name: req.by, comment: req.comment }).catch(mapPrdError);
      const d = await detail(req.prdId);
      deps.hub.publish('prd.changed', d);
      return d;
    },
  };
}
