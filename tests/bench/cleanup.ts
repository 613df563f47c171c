/**
 * Everything the benchmark starts (broker processes, load workers, temporary folders) registers
 * its undoing here, so that a normal end, an error, Ctrl-C and the overall deadline all leave the
 * machine as it was.
 */
type Task = () => unknown;

const tasks = new Set<Task>();
let cleaning: Promise<void> | undefined;

/** Registers an undo step; returns a function that unregisters it (once done by other means). */
export function onCleanup(task: Task): () => void {
  tasks.add(task);
  return () => {
    tasks.delete(task);
  };
}

/** Runs the registered steps, newest first, each once. Safe to call twice. */
export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const task of [...tasks].reverse()) {
      tasks.delete(task);
      try {
        await task();
      } catch (err) {
        console.error(`cleanup: ${(err as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/** Cleans up and exits on SIGINT/SIGTERM, on an uncaught error, and when the deadline passes. */
export function cleanUpOnExit(deadlineMs: number): void {
  const exit = (code: number, why: string) => {
    console.error(`\n${why}: stopping and cleaning up`);
    void cleanUp().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => exit(130, 'SIGINT'));
  process.once('SIGTERM', () => exit(143, 'SIGTERM'));
  process.once('uncaughtException', (err) => exit(1, `error: ${err.stack ?? err.message}`));
  process.once('unhandledRejection', (err) => exit(1, `error: ${(err as Error).stack ?? String(err)}`));
  setTimeout(
    () => exit(1, `the benchmark's deadline of ${Math.round(deadlineMs / 1000)} s passed`),
    deadlineMs,
  ).unref();
}
