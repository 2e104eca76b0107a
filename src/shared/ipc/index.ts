export * from './result';
export * from './limits';
export * from './schemas';
export * from './contract';
export * from './methods';
export * from './api';
export * from './views';
export * from './fleet';
