export {
  WAVE_CONFIG_FILE,
  SHARED_DOMAIN,
  DEFAULT_WAVE_CONFIG,
  DEFAULT_CONTEXT_BUDGET_TOKENS,
  applyConfigDefaults,
  validateWaveConfigText,
  loadWaveConfig,
  WaveConfigError,
  type WaveConfig,
  type ConfigValidation,
  type LoadedWaveConfig,
} from './wave-config';
export { starterWaveConfig, exampleStory, examplePrd } from './starter';
