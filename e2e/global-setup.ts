import { rmSync } from 'node:fs';
import { ELECTRON_MISSING_REASON, electronAvailable } from './support/electron-binary';
import { TEMPLATE_ENV, startWaveServer } from './support/wave-server';

/**
 * Says once, in plain words, when the electron project cannot run here; and makes one
 * data dir with the embedded database created and migrated, so each test starts from a
 * copy of it instead of waiting for a first start of its own. Returns the teardown.
 */
export default async function globalSetup(): Promise<() => void> {
  if (!electronAvailable()) console.log(`[e2e] ${ELECTRON_MISSING_REASON}`);
  let template: string | null = null;
  try {
    const first = await startWaveServer({ keepDataDir: true });
    template = first.dataDir;
    await first.stop();
    process.env[TEMPLATE_ENV] = template;
  } catch (e) {
    console.log(
      `[e2e] could not prepare a template data dir (${(e as Error).message.split('\n')[0]}); every test makes its own.`,
    );
  }
  return () => {
    if (template) rmSync(template, { recursive: true, force: true });
  };
}
