import { availableParallelism, cpus, release, totalmem } from 'node:os';
import {
  cpuPercent,
  type MachineCpuSample,
  type ProcessSample,
  sampleMachineCpu,
  sampleProcess,
} from './proc-stats.js';

/** Measuring the processes of a pipeline (broker, ingest, InfluxDB) for the ingest and breach benchmarks. */

export interface PipelinePids {
  broker: number;
  ingest: number;
  influxd: number;
}

export type PipelineSample = Record<keyof PipelinePids, ProcessSample>;

export function samplePipeline(pids: PipelinePids): PipelineSample {
  return {
    broker: sampleProcess(pids.broker),
    ingest: sampleProcess(pids.ingest),
    influxd: sampleProcess(pids.influxd),
  };
}

/** One edge of a measuring window: CPU time of every process involved, and of the whole machine. */
export interface CpuMark {
  atMs: number;
  procs: PipelineSample;
  /** The load worker processes. */
  workers: ProcessSample[];
  /** This process: the benchmark's own clients and polls. */
  bench: NodeJS.CpuUsage;
  machine: MachineCpuSample;
}

export function cpuMark(pids: PipelinePids, workerPids: number[]): CpuMark {
  return {
    atMs: performance.now(),
    procs: samplePipeline(pids),
    workers: workerPids.map(sampleProcess),
    bench: process.cpuUsage(),
    machine: sampleMachineCpu(),
  };
}

/** Percent of one core between two marks; `other` is what processes outside the benchmark used. */
export interface CpuShare {
  broker: number;
  ingest: number;
  influxd: number;
  /** The load workers and this process. */
  load: number;
  other: number;
}

export function cpuShare(from: CpuMark, to: CpuMark): CpuShare {
  const ms = to.atMs - from.atMs;
  const broker = cpuPercent(from.procs.broker, to.procs.broker);
  const ingest = cpuPercent(from.procs.ingest, to.procs.ingest);
  const influxd = cpuPercent(from.procs.influxd, to.procs.influxd);
  const workerMs = to.workers.reduce((sum, w, i) => sum + w.cpuMs - (from.workers[i]?.cpuMs ?? w.cpuMs), 0);
  const benchMs = (to.bench.user + to.bench.system - from.bench.user - from.bench.system) / 1000;
  const load = ((workerMs + benchMs) / ms) * 100;
  const machine = ((to.machine.busyMs - from.machine.busyMs) / ms) * 100;
  return { broker, ingest, influxd, load, other: Math.max(0, machine - broker - ingest - influxd - load) };
}

/** `CPU broker 12% ingest 50% influxd 30%` between two samples, for progress lines. */
export function cpuLine(from: PipelineSample, to: PipelineSample): string {
  const pct = (k: keyof PipelinePids) => cpuPercent(from[k], to[k]).toFixed(0);
  return `CPU broker ${pct('broker')}% ingest ${pct('ingest')}% influxd ${pct('influxd')}%`;
}

export function describeMachine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return (
    `${availableParallelism()} CPUs (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, ` +
    `node ${process.version}`
  );
}

/** Parses an integer option or exits with a message naming it. */
export function intOption(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${flag} must be an integer from ${min} to ${max}, got ${value}`);
    process.exit(2);
  }
  return n;
}

export function mb(kb: number): number {
  return kb / 1024;
}

/** `count / seconds`, rounded, with thousands separators. */
export function rate(count: number, seconds: number): string {
  return seconds > 0 ? Math.round(count / seconds).toLocaleString('en-US') : '0';
}

/** Prints progress lines stamped with the seconds since the benchmark started. */
export function progressPrinter(): (line: string) => void {
  const startedAt = performance.now();
  return (line) =>
    console.log(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)} s] ${line}`);
}
