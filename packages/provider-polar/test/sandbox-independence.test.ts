import { fileURLToPath } from 'node:url';
import { assertSandboxIndependent } from '@trainlytics/core/testing';
import { describe, it } from 'vitest';

/**
 * The sandbox imitates Polar from Polar's documentation: no file under src/sandbox may import the plugin, or a
 * wrong algorithm in the plugin is checked against itself and passes (issue 13: Polar's sandbox once signed with
 * the plugin's signer). Only the package's `./sandbox` entry (src/sandbox.ts) binds the two, for
 * `createProvider()`. The checker's own planted-import cases are in core's test/unit/sandbox-independence.test.ts.
 */
const SANDBOX = fileURLToPath(new URL('../src/sandbox', import.meta.url));

describe('the Polar sandbox is independent of the plugin it imitates (issue 13)', () => {
  it('imports nothing of the plugin: only its own files, node, third-party packages and core', () => {
    assertSandboxIndependent(SANDBOX, ['@trainlytics/core', '@trainlytics/core/testing']);
  });
});
