// The import path modules inside core have used for every error class; the classes live one per file (index.ts).
export * from './index';
