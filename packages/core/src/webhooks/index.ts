export * from './read-body';
export * from './webhook-handler';
