import { version } from '../package.json';

/**
 * The version of `@trainlytics/cli`, read from its package.json: inlined by the build (esbuild keeps only the
 * `version` field), read from the file when the sources run directly (tests).
 */
export const VERSION: string = version;
