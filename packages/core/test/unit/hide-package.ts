/**
 * Node options that make a package unresolvable for a child process, as if it were not installed: an ESM
 * resolve hook (`--import <returned data: URL>`) and a CommonJS prelude (`Module._resolveFilename`).
 */
export function hidePackage(name: string): { esmImport: string; cjsPrelude: string } {
  const esmImport = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(specifier, context, next) {
  if (specifier === ${JSON.stringify(name)} || specifier.startsWith(${JSON.stringify(`${name}/`)})) {
    throw Object.assign(new Error("Cannot find package '${name}'"), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  return next(specifier, context);
}\`));
`)}`;
  const cjsPrelude = `
const Module = require('node:module');
const original = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === ${JSON.stringify(name)} || request.startsWith(${JSON.stringify(`${name}/`)})) {
    throw Object.assign(new Error("Cannot find module '${name}'"), { code: 'MODULE_NOT_FOUND' });
  }
  return original.call(this, request, ...rest);
};
`;
  return { esmImport, cjsPrelude };
}
