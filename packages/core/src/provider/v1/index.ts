export type * from './activities';
export type * from './context';
export type * from './http';
export type * from './provider-v1';
export type * from './rate-limit';
export type * from './schema';
export type * from './tokens';
export type * from './webhook';
