/**
 * Resolves when the process is asked to stop (Ctrl+C, SIGTERM), for `serve`, `worker` and the interactive
 * `demo`. The listeners are added when it is called, so call it before printing that the process is up: until
 * then Node leaves the signal to its default action, which kills the process without a clean shutdown.
 */
export function waitForShutdown(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
