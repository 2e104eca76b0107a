export * from './app-error';
export * from './event-hub';
export * from './router';
export * from './token-bucket';
