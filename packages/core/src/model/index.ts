export * from './activity';
export * from './activity-streams';
export * from './json';
export * from './profile';
export * from './sport-family';
export * from './sport-type';
export * from './time';
