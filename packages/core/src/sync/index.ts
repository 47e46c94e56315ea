export * from './apply-batch';
export * from './sync-engine';
