export * from './confirm-access';
export * from './http-client';
export * from './oauth';
export * from './parse-json-exact';
export * from './rate-limit-tracker';
export * from './retry';
export * from './settings';
export * from './validate';
