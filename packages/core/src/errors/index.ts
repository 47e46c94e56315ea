export * from './errors';
export * from './provider-api-error';
export * from './trainlytics-error';
