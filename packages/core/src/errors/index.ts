// One file per class (or per family with its options and helpers); docs/decisions/0043-fewer-sharper-errors.md
// explains the taxonomy and lists the names merged away (deprecated-errors.ts).
export * from './app-suspended-error';
export * from './configuration-error';
export * from './conflict-error';
export * from './connection-inactive-error';
export * from './connection-limit-error';
export * from './deprecated-errors';
export * from './insufficient-scope-error';
export * from './needs-reauthorization';
export * from './not-found-error';
export * from './oauth-error';
export * from './oauth-state-error';
export * from './provider-api-error';
export * from './rate-limit-error';
export * from './reauthorization-required-error';
export * from './sample-codec-error';
export * from './store-error';
export * from './sync-in-progress-error';
export * from './trainlytics-error';
export * from './validation-error';
export * from './webhook-verification-error';
