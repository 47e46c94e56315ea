import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildMessage {
  ready?: boolean;
  progress?: { pages: number; activitiesCreated: number };
  /** The child is sleeping `waiting` ms (polling a lease another process holds). */
  waiting?: number;
  result?: {
    status: string;
    activitiesCreated?: number;
    errorMessage?: string | null;
    syncId?: number;
    /** `OPERATION=webhook`: the connection's status after the delivery was processed. */
    connectionStatus?: string | null;
  };
}

export interface SyncChild {
  process: ChildProcess;
  messages: ChildMessage[];
  stderr: () => string;
  /** Resolves with the first message matching, rejects when the child exits first. */
  waitFor(predicate: (m: ChildMessage) => boolean): Promise<ChildMessage>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const CHILD = fileURLToPath(new URL('../children/strava-sync-child.ts', import.meta.url));

/** Spawns `node --import tsx` on the child script (sources resolved through the `@trainlytics/source` condition). */
export function spawnSyncChild(env: Record<string, string>): SyncChild {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@trainlytics/source', CHILD], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const messages: ChildMessage[] = [];
  const waiters: { predicate: (m: ChildMessage) => boolean; resolve: (m: ChildMessage) => void }[] = [];
  let err = '';
  let buffer = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
      if (!line.trim()) continue;
      const message = JSON.parse(line) as ChildMessage;
      messages.push(message);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(message)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    process: child,
    messages,
    stderr: () => err,
    exited,
    waitFor(predicate) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        exited.then(({ code, signal }) => {
          reject(new Error(`the child exited (${code ?? signal}) before the expected message: ${err}`));
        });
      });
    },
  };
}
