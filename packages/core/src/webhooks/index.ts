export * from './body-budget';
export * from './read-body';
export * from './webhook-handler';
