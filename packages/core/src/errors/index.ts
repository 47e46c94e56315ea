export * from './errors';
export * from './needs-reauthorization';
export * from './provider-api-error';
export * from './trainlytics-error';
