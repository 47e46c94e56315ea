import { type Browser, chromium } from 'playwright-core';

/**
 * The system Chromium the browser tests drive (`playwright-core` downloads none): headless, no sandbox
 * (containers), and none of the background traffic (updates, sync) a test machine without internet
 * would wait on.
 */
export const CHROMIUM_LAUNCH_OPTIONS = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
} as const satisfies Parameters<typeof chromium.launch>[0];

/** Starts the system Chromium with `CHROMIUM_LAUNCH_OPTIONS`; close it in `afterAll`. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ ...CHROMIUM_LAUNCH_OPTIONS, args: [...CHROMIUM_LAUNCH_OPTIONS.args] });
}
