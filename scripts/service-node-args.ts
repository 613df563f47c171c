/**
 * Node flags every service process starts with (`pnpm start`, `pnpm start:<service>`, `pnpm dev`,
 * and the tests and benchmarks, which start the services as production does).
 *
 * `--max-semi-space-size=32` (MB; V8's default is 16): a larger young generation. The broker and
 * the ingest allocate per message (packets, buffers, promises) and keep thousands of messages in
 * flight, so with the default young generation many short-lived objects survive two scavenges and
 * are promoted to the old generation, where collecting them costs more. One reading per message,
 * our stack, `pnpm bench:ingest --modes single --stacks coldchain --loss none --no-relaxed
 * --seconds 15 --latency-seconds 5`, with and without (`--service-node-args=`), alternated: ingest
 * CPU per reading 24.1 and 25.2 µs with it, 27.9, 28.5 and 29.0 µs without; broker + ingest +
 * InfluxDB 100.9 and 105.4 µs against 101.5, 118.4 (a busier machine) and 107.1 µs. It costs
 * resident memory: peak broker RSS 229–235 MB with it, 202–208 MB without.
 *
 * package.json's start, start:* and dev scripts spell the same flags: a test keeps them equal.
 */
export const SERVICE_NODE_ARGS: readonly string[] = ['--max-semi-space-size=32'];
