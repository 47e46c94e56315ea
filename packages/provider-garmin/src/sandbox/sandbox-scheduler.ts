/**
 * Runs a task after a delay. The default uses timers; a test passes its own and runs the tasks when it
 * chooses (`ManualScheduler` in the tests), so nothing waits on the wall clock.
 */
export interface SandboxScheduler {
  schedule(task: () => Promise<void>, delayMs: number): { cancel(): void };
}

/** The default scheduler: a timer per task that does not keep the process alive by itself. */
export const timerScheduler: SandboxScheduler = {
  schedule(task, delayMs) {
    const timer = setTimeout(() => void task(), delayMs);
    timer.unref?.();
    return { cancel: () => clearTimeout(timer) };
  },
};
