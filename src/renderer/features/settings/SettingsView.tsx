import { useState, type FormEvent } from 'react';
import type { ProjectSettings } from '../../../shared/ipc/views';
import { api } from '../../api/client';
import { STOP_SHORTCUT } from '../../components/StopButton';
import { BudgetField, StoriesInParallelField } from '../../components/NumberField';
import { describeError } from '../../lib/errors';
import { dateTime, ms } from '../../lib/format';
import { useAppStore } from '../../state/app-store';
import { NotificationSettings } from '../notices/NotificationSettings';
import { BackupsUsage } from './BackupsUsage';

type PresetName = NonNullable<ProjectSettings['agentPreset']>;

/** The select's value for "no choice here: wave.config.json decides". */
const FROM_CONFIG = '';

const PRESETS: Array<{ id: PresetName; label: string }> = [
  { id: 'claude-code', label: 'claude-code — Claude Code CLI (stream-json)' },
  { id: 'command', label: 'command — a generic command template from wave.config.json' },
  { id: 'scripted', label: 'scripted — the deterministic test agent (costs nothing)' },
];

export function SettingsView() {
  const info = useAppStore((s) => s.info);
  const health = useAppStore((s) => s.health);
  const settings = useAppStore((s) => s.settings);
  const resyncs = useAppStore((s) => s.resyncs);
  // Kept here, not in the form: the form is re-created when the saved settings come back.
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  if (!info || !health || !settings) return <p className="muted">Loading settings…</p>;
  const rows: Array<[string, string]> = [
    ['Version', info.version],
    ['Data directory', info.dataDir],
    ['Transport', info.transport === 'electron' ? 'Electron IPC (desktop)' : 'WebSocket bridge (wave serve)'],
    ['Store', `${health.store.kind} — ${health.store.status}: ${health.store.detail} (${ms(health.store.latencyMs)})`],
    [
      'Event bus',
      `${health.events.kind} — ${health.events.status}: ${health.events.detail} (p99 ${ms(health.events.p99Ms)})`,
    ],
    ['Why this event bus', health.events.reason],
    ['Health checked', dateTime(health.events.checkedAt)],
    ['Core process', `pid ${info.pid} on ${info.platform}, up since ${dateTime(info.startedAt)}`],
    ['Snapshot re-fetches after a missed event', String(resyncs)],
    ['Keyboard', `Alt+1…8 switch views · ${STOP_SHORTCUT} emergency stop · Escape closes a panel or dialog`],
  ];
  return (
    <section className="settings-view">
      <h2>Settings</h2>
      {/* Keyed by content: when another window or the CLI changes the settings, the form shows what the core holds. */}
      <ProjectForm
        key={JSON.stringify([settings.projectPath, settings.concurrency, settings.budgetUsd, settings.agentPreset])}
        settings={settings}
        message={message}
        setMessage={setMessage}
      />
      {settings.configProblems.length ? (
        <section
          className="callout callout-warn"
          data-testid="config-problems"
          aria-label="Project configuration problems"
        >
          <h3>Project configuration problems</h3>
          <ul>
            {settings.configProblems.map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        </section>
      ) : null}
      {settings.agentEnv ? (
        <section className="card" data-testid="settings-agent-env" aria-label="What an agent can see">
          <h3>What an agent can see</h3>
          <p className="small muted">
            Environment variable names only (values are never shown). Everything else in this app's environment stays
            out of agents and their commands.
          </p>
          <dl className="runs-list">
            <dt>Base</dt>
            <dd className="mono small">{settings.agentEnv.base.join(' ')}</dd>
            <dt>Preset {settings.agentPreset ?? settings.configAgentPreset ?? 'claude-code'} (agent only)</dt>
            <dd className="mono small">{settings.agentEnv.preset.join(', ') || 'none'}</dd>
            <dt>agent.env.pass</dt>
            <dd className="mono">{settings.agentEnv.pass.join(', ') || 'none'}</dd>
            <dt>agent.env.set</dt>
            <dd className="mono">{settings.agentEnv.set.join(', ') || 'none'}</dd>
          </dl>
        </section>
      ) : null}
      <NotificationSettings />
      <BackupsUsage projectPath={settings.projectPath} />
      <h3>This installation</h3>
      <dl className="settings" data-testid="settings">
        {rows.map(([k, v]) => (
          <div key={k} className="settings-row">
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

type Message = { ok: boolean; text: string } | null;

function ProjectForm({
  settings,
  message,
  setMessage,
}: {
  settings: ProjectSettings;
  message: Message;
  setMessage: (m: Message) => void;
}) {
  const [projectPath, setProjectPath] = useState(settings.projectPath ?? '');
  const [concurrency, setConcurrency] = useState(String(settings.concurrency));
  const [budget, setBudget] = useState(settings.budgetUsd === null ? '' : String(settings.budgetUsd));
  const [preset, setPreset] = useState<string>(settings.agentPreset ?? FROM_CONFIG);
  const [busy, setBusy] = useState(false);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setMessage(null);
    const c = Number(concurrency);
    if (!Number.isInteger(c) || c < 1 || c > 64)
      return setMessage({
        ok: false,
        text: 'Concurrency must be a whole number from 1 to 64 (stories run in parallel).',
      });
    const b = budget.trim() === '' ? null : Number(budget);
    if (b !== null && (!Number.isFinite(b) || b < 0))
      return setMessage({
        ok: false,
        text: 'The budget is an amount in US dollars (e.g. 10 or 2.50), or empty for none.',
      });
    const patch: Parameters<typeof api.settings.update>[0] = {
      concurrency: c,
      budgetUsd: b,
      agentPreset: preset === FROM_CONFIG ? null : (preset as PresetName),
    };
    if (projectPath.trim() && projectPath.trim() !== settings.projectPath) patch.projectPath = projectPath.trim();
    setBusy(true);
    const res = await api.settings.update(patch);
    setBusy(false);
    if (res.ok)
      setMessage({
        ok: true,
        text: `Saved.${res.value.projectName ? ` Project: ${res.value.projectName} (${res.value.projectPath}).` : ''}`,
      });
    else setMessage({ ok: false, text: describeError('save the settings', res.error) });
  };

  return (
    <form className="card settings-form" onSubmit={save} aria-label="Project settings" data-testid="settings-form">
      <label className="field">
        <span>Project (the git repository the agents work on)</span>
        <input
          className="input mono"
          value={projectPath}
          onChange={(e) => setProjectPath(e.target.value)}
          placeholder="/home/me/code/mathlib"
          data-testid="settings-project"
          spellCheck={false}
        />
        <span className="small muted">
          {settings.projectPath
            ? `current: ${settings.projectPath}${settings.targetBranch ? ` · target branch ${settings.targetBranch}` : ''}`
            : 'No project set yet: imports and sessions need one.'}
        </span>
      </label>
      <div className="form-row">
        <StoriesInParallelField value={concurrency} onChange={setConcurrency} testId="settings-concurrency" />
        <BudgetField
          label="Default budget per session (USD)"
          value={budget}
          onChange={setBudget}
          testId="settings-budget"
          optional
        />
        <label className="field grow">
          <span>Agent preset</span>
          <select
            className="input"
            value={preset}
            onChange={(e) => setPreset(e.target.value)}
            data-testid="settings-preset"
          >
            <option value={FROM_CONFIG}>
              as wave.config.json says{settings.configAgentPreset ? ` (${settings.configAgentPreset})` : ''}
            </option>
            {PRESETS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
          </select>
          <span className="small muted">
            A PRD approval covers one preset: approve again after choosing another one here.
          </span>
        </label>
      </div>
      {message ? (
        <p
          className={message.ok ? 'tone-ok' : 'callout callout-bad'}
          role={message.ok ? 'status' : 'alert'}
          data-testid="settings-message"
        >
          {message.text}
        </p>
      ) : null}
      <button type="submit" className="btn btn-primary" disabled={busy} data-testid="settings-save">
        {busy ? 'Saving…' : 'Save settings'}
      </button>
    </form>
  );
}
