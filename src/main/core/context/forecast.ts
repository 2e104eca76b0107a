import type { ContextForecastView, ContextPackView } from '../../../shared/ipc';
import type { StoryDocument } from '../../../shared/stories';
import type { ContextPackWithRun } from '../../store/repos';
import { runGit } from '../executor/git';
import { buildContextPack } from './pack';
import type { ContextIndexer } from './repo-index';
import { sharedContextIndexer } from './story-context';

/** A recorded pack as the window shows it. */
export function toContextPackView(p: ContextPackWithRun): ContextPackView {
  return {
    gateRunId: p.gateRunId,
    gate: p.gate as ContextPackView['gate'],
    attempt: p.attempt,
    at: p.createdAt.toISOString(),
    tree: p.tree,
    files: p.files,
    totalTokens: p.totalTokens,
    budgetTokens: p.budgetTokens,
    repoTokens: p.repoTokens,
    leftOut: p.leftOut,
  };
}

/** How many of a story's highest-ranked files the forecast lists. */
const TOP_FILES = 8;
/** Forecasts kept (by tree, budget, domains and story contents). */
const FORECASTS_KEPT = 16;

export interface ForecastRequest {
  prdId: string;
  repoPath: string;
  /** The branch stories start from; HEAD when it does not resolve. */
  targetBranch: string;
  domains: Record<string, string[]>;
  budgetTokens: number;
  stories: Array<{ storyId: string; domain: string; content: Record<string, unknown>; contentHash: string }>;
}

/**
 * Forecasts of the context each story of a PRD will get: its pack built now from the
 * project's target branch. The repository index is cached by tree (the indexer), and a
 * forecast by tree, budget, domains and the stories' content hashes.
 */
export class ContextForecaster {
  private readonly kept = new Map<string, ContextForecastView>();

  constructor(private readonly indexer: ContextIndexer = sharedContextIndexer) {}

  async forecast(req: ForecastRequest): Promise<ContextForecastView> {
    const branch = await runGit(req.repoPath, ['rev-parse', '--verify', '--quiet', `${req.targetBranch}^{commit}`], {
      allowExitCodes: [1, 128],
    });
    const rev = branch.exitCode === 0 ? req.targetBranch : 'HEAD';
    const tree = await this.indexer.treeOf(req.repoPath, rev);
    const key = JSON.stringify([req.prdId, tree, req.budgetTokens, req.domains, req.stories.map((s) => s.contentHash)]);
    const hit = this.kept.get(key);
    if (hit) return hit;
    const index = await this.indexer.index(req.repoPath, rev);
    const view: ContextForecastView = {
      prdId: req.prdId,
      rev,
      tree,
      budgetTokens: req.budgetTokens,
      repoTokens: index.totalTokens,
      stories: req.stories.map((s) => {
        const doc = s.content as unknown as StoryDocument;
        const pack = buildContextPack(index, {
          story: { story_id: s.storyId, domain: s.domain, files: doc.files, context: doc.context },
          domains: req.domains,
          budgetTokens: req.budgetTokens,
        });
        return {
          storyId: s.storyId,
          domain: s.domain,
          files: pack.files.length,
          totalTokens: pack.total_tokens,
          leftOut: pack.left_out.length,
          top: pack.files.slice(0, TOP_FILES),
        };
      }),
    };
    this.kept.set(key, view);
    if (this.kept.size > FORECASTS_KEPT) this.kept.delete(this.kept.keys().next().value!);
    return view;
  }
}
