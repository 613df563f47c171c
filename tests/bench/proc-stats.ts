import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** Linux only: CPU time and memory of a process, read from procfs (proc(5)). */

const CLOCK_TICKS_PER_SEC = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface ProcessSample {
  /** Monotonic time of the sample. */
  atMs: number;
  /** User plus system CPU time the process has used since it started. */
  cpuMs: number;
  /** Resident set size now (VmRSS). */
  rssKb: number;
  /** Peak resident set size since the process started (VmHWM, the "high water mark"). */
  peakRssKb: number;
}

export function sampleProcess(pid: number): ProcessSample {
  if (!existsSync(`/proc/${pid}`)) throw new Error(`process ${pid} has exited`);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces: split after it.
  // What remains starts at field 3 (state); utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[14 - 3]) + Number(fields[15 - 3]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    atMs: performance.now(),
    cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SEC,
    rssKb: statusKb(status, 'VmRSS'),
    peakRssKb: statusKb(status, 'VmHWM'),
  };
}

/** Share of one core used between two samples of the same process; 200 means two cores. */
export function cpuPercent(from: ProcessSample, to: ProcessSample): number {
  const wallMs = to.atMs - from.atMs;
  return wallMs > 0 ? ((to.cpuMs - from.cpuMs) / wallMs) * 100 : 0;
}

/** The executable name of a process (`/proc/<pid>/comm`), to check we watch the right one. */
export function processName(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

export interface FdLimit {
  soft: number;
  hard: number;
}

/** The open-files limit (`ulimit -n`) of a process; `unlimited` reads as Infinity. */
export function openFilesLimit(pid: number | 'self' = 'self'): FdLimit {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = (line?.slice('Max open files'.length).trim().split(/\s+/) ?? []).map((v) =>
    v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v),
  );
  if (soft === undefined || hard === undefined || Number.isNaN(soft) || Number.isNaN(hard)) {
    throw new Error(`cannot read the open files limit of process ${pid}`);
  }
  return { soft, hard };
}

function statusKb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match?.[1] ? Number(match[1]) : 0;
}

export interface MachineCpuSample {
  atMs: number;
  /** CPU time all processes used on all CPUs since boot (everything but idle and iowait). */
  busyMs: number;
}

/** The machine's CPU use, to see what else ran during a measurement. */
export function sampleMachineCpu(): MachineCpuSample {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const ticks = [user, nice, system, irq, softirq, steal].reduce<number>((sum, t) => sum + (t ?? 0), 0);
  return { atMs: performance.now(), busyMs: (ticks * 1000) / CLOCK_TICKS_PER_SEC };
}
