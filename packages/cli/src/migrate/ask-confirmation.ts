/** The part of a readable stream (`process.stdin`) used to read a confirmation. */
export interface ConfirmInput {
  isTTY?: boolean;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeListener(event: 'data' | 'end', listener: (...args: never[]) => void): unknown;
  pause?(): unknown;
  resume?(): unknown;
}

/** Writes `question` and resolves with the next line typed (empty when the input ends first). */
export function askConfirmation(
  stdin: ConfirmInput,
  output: { write(chunk: string): unknown },
  question: string,
): Promise<string> {
  output.write(question);
  return new Promise((resolve) => {
    let buffered = '';
    const finish = (answer: string) => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.pause?.();
      resolve(answer);
    };
    const onData = (chunk: Buffer | string) => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline >= 0) finish(buffered.slice(0, newline));
    };
    const onEnd = () => finish(buffered);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume?.();
  });
}
