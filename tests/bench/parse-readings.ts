// CPU per reading of what the ingest does to every reading before it is journaled, in isolation on
// one core: validate the payload (parseTelemetry: JSON, shape, zod, event-time window) and build
// its line protocol. Profiles of the pipeline say this is the largest part of the ingest's work;
// this measures it without the rest of the machine in the way.
// Not a test: it prints figures, and stops by itself.
//
//   npx tsx --conditions=source tests/bench/parse-readings.ts [--readings 100] [--iso] [--total 2000000]
import { parseArgs } from 'node:util';
import { readingFields, telemetryLine } from '@coldchain/influx';
import { parseTelemetry } from '@coldchain/schema';
import { intOption } from './ingest-measure.js';

const { values } = parseArgs({
  options: {
    readings: { type: 'string', default: '100' },
    total: { type: 'string', default: '2000000' },
    iso: { type: 'boolean', default: false },
  },
});
const perMessage = intOption('readings', values.readings, 1, 1000);
const total = intOption('total', values.total, 1000);

const firstTsMs = Date.now() - 3_600_000;
const ts = (seq: number) =>
  values.iso ? `"${new Date(firstTsMs + seq).toISOString()}"` : String(firstTsMs + seq);
/** The benchmarks' wire format: tests/bench/ingest-load-worker.ts. */
const reading = (seq: number) => `"ts":${ts(seq)},"seq":${seq},"temp":{"air":4.5,"product":4},"rh":91.5`;
const message = (first: number) =>
  perMessage === 1
    ? `{"v":1,${reading(first)}}`
    : `{"v":1,"readings":[${Array.from({ length: perMessage }, (_, i) => `{${reading(first + i)}}`).join(',')}]}`;
const payloads = Array.from({ length: 200 }, (_, i) => Buffer.from(message(i * perMessage + 1)));

function run(): number {
  const nowMs = Date.now();
  let lines = 0;
  for (let k = 0; k < total / perMessage; k++) {
    const parsed = parseTelemetry(payloads[k % payloads.length], { nowMs });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    for (const r of parsed.value.readings) {
      if (telemetryLine('bench-device', readingFields(r), r.tsMs).length > 0) lines++;
    }
  }
  return lines;
}

run(); // warm-up: the JIT compiles the hot paths
const before = process.cpuUsage();
const lines = run();
const used = process.cpuUsage(before);
console.log(
  `${perMessage} reading${perMessage > 1 ? 's' : ''} per message, ts as ${values.iso ? 'ISO text' : 'epoch ms'}: ` +
    `${((used.user + used.system) / lines).toFixed(2)} µs CPU per reading (${lines.toLocaleString('en-US')} readings)`,
);
