import type { EventName, EventOf, Notice, StoryRunView } from '../../../shared/ipc';
import type { StoreKind } from '../../store';
import type { SessionRunPort } from '../../store/repos/pipeline-repo';
import type { WaveEvent } from '../../../shared/events';
import { ChangeThrottle } from './change-throttle';
import type { ControlFiles } from './control-files';
import { toSessionOutcome } from './session-outcome';
import type { LiveSessionFacts, SessionViewReader, StoryMeta } from './session-views';

/** Where pushed UI events go (the app's EventHub, or a CLI's progress renderer). */
export interface EventSink {
  publish<E extends EventName>(name: E, payload: EventOf<E>): unknown;
}

/**
 * What the UI sees of a running session: live progress per story, coalesced
 * session.changed / story.changed pushes, notices, and (on the embedded store, which another
 * process cannot open) a view file for `wave status`.
 */
export class SessionProjection {
  private readonly progress = new Map<string, StoryRunView['progress']>();
  private readonly meta = new Map<string, StoryMeta>();
  private readonly throttle: ChangeThrottle;
  private viewDirty = true;
  currentWave: number | null = null;

  constructor(
    private readonly sessionId: string,
    private readonly deps: {
      sink: EventSink | null;
      views: SessionViewReader;
      repo: SessionRunPort;
      control: ControlFiles;
      storeKind: StoreKind;
      changeIntervalMs: number;
      log: (line: string) => void;
    },
  ) {
    this.throttle = new ChangeThrottle(deps.changeIntervalMs, (key) => this.emitChange(key));
  }

  /** Pushes one UI event; a failing sink is logged, never fatal. */
  push<E extends EventName>(name: E, payload: EventOf<E>): void {
    if (!this.deps.sink) return;
    try {
      this.deps.sink.publish(name, payload);
    } catch (e) {
      this.deps.log(`could not push ${name} to the UI: ${(e as Error).message}`);
    }
  }

  notice(kind: Notice['kind'], title: string, body: string): void {
    this.push('notice', { kind, title, body, sessionId: this.sessionId, at: new Date().toISOString() });
  }

  liveFacts(): LiveSessionFacts {
    return { currentWave: this.currentWave };
  }

  setProgress(storyRunId: string, progress: StoryRunView['progress']): void {
    if (progress) this.progress.set(storyRunId, progress);
    else this.progress.delete(storyRunId);
  }

  /**
   * A story's new progress line: pushed at once as story.progress (no store read, no throttle
   * window: the lead sees the agent's line as it is printed); story.changed is left to real changes.
   */
  progressed(storyRunId: string, storyId: string, progress: StoryRunView['progress']): void {
    this.setProgress(storyRunId, progress);
    this.viewDirty = true;
    this.push('story.progress', { id: storyRunId, sessionId: this.sessionId, storyId, progress });
  }

  progressOf(storyRunId: string): StoryRunView['progress'] {
    return this.progress.get(storyRunId) ?? null;
  }

  /** Titles and domains of the session's stories, keyed like story run ids. */
  setMeta(storyRunId: string, meta: StoryMeta): void {
    this.meta.set(storyRunId, meta);
  }

  storyChanged(storyRunId: string): void {
    this.viewDirty = true;
    this.throttle.request(storyRunId);
  }

  /** Pushes session.changed (coalesced like story changes). */
  sessionChanged(): void {
    this.viewDirty = true;
    this.throttle.request('#session');
  }

  /** Pushes the story's last state now (its run ended). */
  flushStory(storyRunId: string): Promise<void> {
    return this.throttle.flush(storyRunId);
  }

  /** Events from elsewhere (wave signal, remote agents) show as the story's progress. */
  onBusEvent(e: WaveEvent): void {
    const remote = !e.source || (!e.source.startsWith('agent:') && e.source !== 'orchestrator');
    if (remote) this.showProgressLine(e);
  }

  /**
   * An event of a fleet session, whose stories run on workers (this process coordinates it):
   * a progress line or signal shows at once, any other story event re-reads the story from the
   * store (coalesced), a session event the session.
   */
  onFleetEvent(e: WaveEvent): void {
    if (this.showProgressLine(e)) return;
    if (e.story) this.storyChanged(`${this.sessionId}:${e.story}`);
    else this.sessionChanged();
  }

  /** A progress or signal event of a story as its progress line; false for any other event. */
  private showProgressLine(e: WaveEvent): boolean {
    if (!e.story || (e.type !== 'progress' && e.type !== 'signal')) return false;
    const message =
      e.type === 'progress'
        ? e.message
        : `signal ${e.signal}${e.message ? `: ${e.message}` : ''} (from ${e.source ?? 'elsewhere'})`;
    this.progressed(`${this.sessionId}:${e.story}`, e.story, {
      message: message.slice(0, 500),
      pct: e.type === 'progress' ? (e.pct ?? null) : null,
    });
    return true;
  }

  /** Pushes session.changed now and resolves once it went out (before the stories that follow it). */
  sessionChangedNow(): Promise<void> {
    this.viewDirty = true;
    return this.throttle.flush('#session');
  }

  /** The view file, when something changed since the last one (embedded store only). */
  async refreshViewFile(): Promise<void> {
    if (!this.viewDirty || this.deps.storeKind !== 'pglite') return;
    // `wave status` in another process cannot open the embedded store while we hold it.
    this.viewDirty = false;
    await this.writeViewFile().catch(() => undefined);
  }

  private async writeViewFile(): Promise<void> {
    const view = await this.deps.views.sessionView(this.sessionId, this.liveFacts(), (id) => this.progressOf(id));
    if (view)
      this.deps.control.writeView(this.sessionId, {
        outcome: toSessionOutcome(view),
        view,
        writtenAt: new Date().toISOString(),
        pid: process.pid,
      });
  }

  private async emitChange(key: string): Promise<void> {
    if (key === '#session') {
      const row = await this.deps.repo.session(this.sessionId);
      if (!row) return;
      const [summary] = await this.deps.views.summaries([row], () => this.liveFacts());
      if (summary) this.push('session.changed', summary);
      return;
    }
    const view = await this.deps.views.storyView(key, this.meta.get(key), this.progressOf(key));
    if (view) this.push('story.changed', view);
  }

  /** Last pushes and the last view file, then no more. */
  async close(): Promise<void> {
    await this.throttle.flush('#session').catch(() => undefined);
    await this.throttle.flushAll().catch(() => undefined);
    this.throttle.dispose();
    if (this.deps.storeKind === 'pglite') await this.writeViewFile().catch(() => undefined);
  }
}
