import type { LazyCliCommand } from '../cli-types';

/**
 * Every `wave` command, in the order `wave --help` lists them. Each module is imported only
 * when its command runs (or for --help): `wave --version` loads none of them, and `wave
 * validate` never loads the database.
 */
export const commands: readonly LazyCliCommand[] = [
  { name: 'init', load: async () => (await import('./init')).initCommand },
  { name: 'validate', load: async () => (await import('./validate')).validateCommand },
  { name: 'import', load: async () => (await import('./import')).importCommand },
  { name: 'prd', load: async () => (await import('./prd')).prdCommand },
  { name: 'run', load: async () => (await import('./run')).runCommand },
  { name: 'status', load: async () => (await import('./status')).statusCommand },
  { name: 'stop', load: async () => (await import('./stop')).stopCommand },
  { name: 'recover', load: async () => (await import('./recover')).recoverCommand },
  {
    name: 'resume',
    // `wave resume` applies the recovery strategy in the store, then hands the session to the
    // orchestrator, which continues it to the end in this process.
    load: async () => {
      const [{ createResumeCommand }, { continueFromRecovery, resumeOnFleet }] = await Promise.all([
        import('./resume'),
        import('./run'),
      ]);
      return createResumeCommand({
        claimsSession: true,
        continueSession: continueFromRecovery,
        resumeFleet: resumeOnFleet,
      });
    },
  },
  { name: 'override-domain', load: async () => (await import('./decisions')).overrideDomainCommand },
  { name: 'approve-merge', load: async () => (await import('./decisions')).approveMergeCommand },
  { name: 'diff', load: async () => (await import('./diff')).diffCommand },
  { name: 'review', load: async () => (await import('./review')).reviewCommand },
  // Earlier work: snapshots taken before destructive git operations.
  { name: 'backups', load: async () => (await import('./backups')).backupsCommand },
  { name: 'restore', load: async () => (await import('./backups')).restoreCommand },
  { name: 'demo', load: async () => (await import('./demo')).demoCommand },
  { name: 'signal', load: async () => (await import('./signal')).signalCommand },
  { name: 'serve', load: async () => (await import('./serve')).serveCommand },
  // The fleet: one machine's worker taking story runs of `wave run --fleet` sessions.
  { name: 'worker', load: async () => (await import('./worker')).workerCommand },
  { name: 'workers', load: async () => (await import('./workers')).workersCommand },
];
