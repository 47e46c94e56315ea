export * from './errors';
export * from './model';
export * from './provider/define-provider';
export type * from './provider/v1';
export * from './provider-utils';
export type * from './registry/types';
export * from './runtime';
export type * from './store';
export { VERSION } from './version';
