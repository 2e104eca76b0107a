export * from './limits';
export * from './timestamps';
export * from './event-schemas';
export * from './codec';
export * from './agent-line';
export * from './bus-views';
export * from './json-schema';
export * from './sample-events';
