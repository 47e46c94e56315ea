export * from './connect-flow';
