import type { ChildProcess } from 'node:child_process';

/** Resolves with the next message of `type` a forked worker sends; rejects if it exits first or the time runs out. */
export function nextMessage<M extends { type: string }, T extends M['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<M, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      reject(new Error(`load worker ${child.pid}: no '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: M) => {
      if (m.type !== type) return;
      done();
      resolve(m as Extract<M, { type: T }>);
    };
    const onExit = () => {
      done();
      reject(new Error(`load worker ${child.pid} exited (${child.exitCode}) before '${type}'`));
    };
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
