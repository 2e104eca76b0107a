import type { PriceTable } from '../pricing';
import type { AgentLineEvent as AgentEvent } from '../../../shared/events';
import type {
  AgentInvocation,
  AgentInvocationContext,
  AgentPreset,
  OutputParser,
  ParsedLine,
  ParserOutcome,
} from './agent-preset';
import { UsageAccumulator } from './usage';
import { writeClaudeSettings } from './claude-settings';

export interface ClaudeCodePresetOptions {
  /** The program (and leading arguments) that starts Claude Code; default `["claude"]`. */
  command?: string[];
  model?: string;
  /** Passed as `--permission-mode`; default `acceptEdits` so it can edit the worktree unattended. */
  permissionMode?: string;
  maxTurns?: number;
  /** More arguments, appended as they are. */
  extraArgs?: string[];
}

/**
 * Claude Code in print mode: `claude -p --output-format stream-json --verbose`, with the
 * prompt file on stdin (no argument-length limit, not visible in `ps`). Its stream-json
 * lines are read for live progress and usage; the final `result` envelope decides
 * success and carries the authoritative cost.
 */
export function claudeCodePreset(options: ClaudeCodePresetOptions = {}): AgentPreset {
  const command = options.command ?? ['claude'];
  return {
    name: 'claude-code',
    invocation(context: AgentInvocationContext): AgentInvocation {
      const argv = [
        ...command,
        '-p',
        '--output-format',
        'stream-json',
        '--verbose',
        '--permission-mode',
        options.permissionMode ?? 'acceptEdits',
      ];
      if (options.model) argv.push('--model', options.model);
      if (options.maxTurns !== undefined) argv.push('--max-turns', String(options.maxTurns));
      argv.push(...(options.extraArgs ?? []));
      return { argv, stdinFile: context.promptFile };
    },
    createParser: (prices) => new ClaudeStreamParser(prices),
    // The story's domain as Claude Code permission settings: the agent itself refuses edits
    // outside it (SHARED aside), before gate-3 would refuse the result.
    async prepare({ worktreePath, editRules }) {
      if (!editRules) return ['no domains configured: Claude Code gets no edit restrictions'];
      const w = await writeClaudeSettings(worktreePath, editRules);
      if (!w.written) return [`Claude Code permission settings not written: ${w.reason}`];
      return [
        `Claude Code permission settings ${w.file}: ${w.allow} allow and ${w.deny} deny rules for edits${w.truncated ? ' (deny rules capped; gate-3 checks the rest)' : ''}`,
      ];
    },
  };
}

interface ClaudeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

interface ClaudeModelUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
  costUSD?: number;
}

interface ClaudeResult {
  type: 'result';
  subtype?: string;
  is_error?: boolean;
  result?: string;
  errors?: unknown[];
  stop_reason?: string | null;
  total_cost_usd?: number;
  usage?: ClaudeUsage;
  modelUsage?: Record<string, ClaudeModelUsage>;
  num_turns?: number;
}

/**
 * Reads Claude Code's `--output-format stream-json` lines.
 * - `system`/`init`: the session model.
 * - `assistant`: one API step; its `message.usage` becomes a usage event. Several lines
 *   of one step share `message.id` and the same usage, so each id is counted once.
 * - `result`: the end. `is_error: true` (or an `error_*` subtype) is a failure whatever
 *   the subtype says; `error_during_execution`, `error_max_turns` and a `max_tokens`
 *   stop reason are reported under those names. Its `modelUsage` (per model, with cache
 *   tokens and `costUSD`) and `total_cost_usd` replace the sum of the steps.
 */
export class ClaudeStreamParser implements OutputParser {
  private readonly seenMessages = new Set<string>();
  private model: string | undefined;
  private result: ClaudeResult | undefined;
  private lastStopReason: string | null = null;

  constructor(private readonly prices: PriceTable) {}

  line(line: string): ParsedLine {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) return { events: [] };
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(trimmed) as Record<string, unknown>;
    } catch {
      return { events: [] };
    }
    if (typeof msg !== 'object' || msg === null) return { events: [] };
    const events: AgentEvent[] = [];
    switch (msg.type) {
      case 'system':
        if (msg.subtype === 'init' && typeof msg.model === 'string') {
          this.model = msg.model;
          events.push({ type: 'progress', message: `Claude Code started (model ${msg.model})` });
        }
        break;
      case 'assistant': {
        const message = (msg.message ?? {}) as {
          id?: string;
          model?: string;
          usage?: ClaudeUsage;
          stop_reason?: string | null;
          content?: unknown;
        };
        if (typeof message.stop_reason === 'string') this.lastStopReason = message.stop_reason;
        const fresh = !message.id || !this.seenMessages.has(message.id);
        if (message.id) this.seenMessages.add(message.id);
        if (fresh && message.usage) {
          events.push({
            type: 'usage',
            model: message.model ?? this.model ?? 'unknown',
            input_tokens: count(message.usage.input_tokens),
            output_tokens: count(message.usage.output_tokens),
            cache_read_tokens: count(message.usage.cache_read_input_tokens),
            cache_write_tokens: count(message.usage.cache_creation_input_tokens),
          });
        }
        const progress = describeContent(message.content);
        if (progress) events.push({ type: 'progress', message: progress });
        break;
      }
      case 'result': {
        this.result = msg as unknown as ClaudeResult;
        if (typeof this.result.stop_reason === 'string') this.lastStopReason = this.result.stop_reason;
        const failed = this.isFailure(this.result);
        events.push({
          type: 'signal',
          signal: failed ? 'error' : 'complete',
          message: failed ? this.failureMessage(this.result) : clip(this.result.result ?? 'done'),
        });
        break;
      }
      default:
        break;
    }
    return { events };
  }

  finish(exit: { exitCode: number | null; signal: string | null }): ParserOutcome {
    const r = this.result;
    if (!r) {
      return {
        ending: 'no_result',
        failure: {
          kind: 'no_result',
          message:
            exit.exitCode === 0
              ? 'Claude Code exited without its final result line, so success cannot be confirmed.'
              : `Claude Code exited (${exit.signal ?? `code ${exit.exitCode}`}) without a result line.`,
        },
      };
    }
    const usage = this.resultUsage(r);
    const ending = this.ending(r);
    if (this.isFailure(r)) return { ending, usage, failure: { kind: ending, message: this.failureMessage(r) } };
    if (ending === 'max_tokens') {
      // The final answer was cut off at the output limit: the work is not known to be complete.
      return {
        ending,
        usage,
        failure: {
          kind: 'max_tokens',
          message: 'Claude Code stopped at the output token limit (max_tokens); its work may be incomplete.',
        },
      };
    }
    return { ending, usage };
  }

  private isFailure(r: ClaudeResult): boolean {
    return r.is_error === true || (typeof r.subtype === 'string' && r.subtype.startsWith('error'));
  }

  private ending(r: ClaudeResult): string {
    if (typeof r.subtype === 'string' && r.subtype !== 'success') return r.subtype;
    if (this.lastStopReason === 'max_tokens') return 'max_tokens';
    if (r.is_error) return 'is_error';
    return 'success';
  }

  private failureMessage(r: ClaudeResult): string {
    const kind = this.ending(r);
    const detail =
      r.result ?? (Array.isArray(r.errors) && r.errors.length > 0 ? r.errors.map(String).join('; ') : undefined);
    const what =
      kind === 'error_max_turns'
        ? `Claude Code reached its turn limit${r.num_turns !== undefined ? ` (${r.num_turns} turns)` : ''}`
        : kind === 'error_during_execution'
          ? 'Claude Code failed during execution'
          : kind === 'max_tokens'
            ? 'Claude Code stopped at the output token limit (max_tokens)'
            : `Claude Code reported an error (${kind})`;
    return clip(detail ? `${what}: ${detail}` : what);
  }

  private resultUsage(r: ClaudeResult) {
    const acc = new UsageAccumulator(this.prices);
    const perModel = r.modelUsage && typeof r.modelUsage === 'object' ? Object.entries(r.modelUsage) : [];
    if (perModel.length > 0) {
      for (const [model, u] of perModel) {
        acc.add({
          model,
          inputTokens: count(u.inputTokens),
          outputTokens: count(u.outputTokens),
          cacheReadTokens: count(u.cacheReadInputTokens),
          cacheWriteTokens: count(u.cacheCreationInputTokens),
          costUsd: typeof u.costUSD === 'number' ? u.costUSD : undefined,
        });
      }
    } else if (r.usage) {
      acc.add({
        model: this.model ?? 'unknown',
        inputTokens: count(r.usage.input_tokens),
        outputTokens: count(r.usage.output_tokens),
        cacheReadTokens: count(r.usage.cache_read_input_tokens),
        cacheWriteTokens: count(r.usage.cache_creation_input_tokens),
        costUsd: typeof r.total_cost_usd === 'number' ? r.total_cost_usd : undefined,
      });
    }
    const summary = acc.summary();
    // The envelope's total is what Claude Code itself computed for the whole run.
    if (typeof r.total_cost_usd === 'number') {
      summary.totalCostUsd = r.total_cost_usd;
      summary.knownCostUsd = r.total_cost_usd;
    }
    return summary;
  }
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function clip(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function describeContent(content: unknown): string | null {
  if (!Array.isArray(content)) return null;
  for (const block of content as Array<{ type?: string; text?: string; name?: string }>) {
    if (block?.type === 'tool_use' && block.name) return `tool: ${block.name}`;
    if (block?.type === 'text' && block.text?.trim()) return clip(block.text.trim().split('\n')[0]!, 200);
  }
  return null;
}
