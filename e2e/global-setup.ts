import { ELECTRON_MISSING_REASON, electronAvailable } from './support/electron-binary';

/** Says once, in plain words, when the electron project cannot run here. */
export default function globalSetup(): void {
  if (!electronAvailable()) console.log(`[e2e] ${ELECTRON_MISSING_REASON}`);
}
