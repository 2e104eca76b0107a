export * from './types';
export * from './version';
export * from './wave-plan';
export * from './reports';
export * from './authorised-runs';
