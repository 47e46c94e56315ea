export * from './connection-session';
export * from './reencrypt-all';
