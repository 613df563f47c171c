/**
 * Node flags every service process starts with (`pnpm start`, `pnpm start:<service>`, `pnpm dev`,
 * and the tests and benchmarks, which start the services as production does).
 *
 * `--max-semi-space-size=32` (MB; V8's default is 16): a larger young generation. The broker and
 * the ingest allocate per message (packets, buffers, promises) and keep thousands of messages in
 * flight, so with the default young generation many short-lived objects survive two scavenges,
 * get promoted to the old generation and are collected there, at a higher cost. With one reading
 * per message `bench:ingest` measured the broker + ingest + InfluxDB CPU per reading 140.0 µs
 * without this flag and 118.1 µs with it, in one sitting on one machine; it costs up to about
 * 48 MB more resident memory per process (three semi-spaces of 16 MB more).
 *
 * package.json's start, start:* and dev scripts spell the same flags: a test keeps them equal.
 */
export const SERVICE_NODE_ARGS: readonly string[] = ['--max-semi-space-size=32'];
