// The demo's console: pretty, colourful lines on a terminal; JSON lines (one object each, for log
// collectors and tests) when the output is not a terminal or LOG_FORMAT=json says so.
import { type LevelWithSilent, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

export interface DemoLogger {
  log: Logger;
  pretty: boolean;
  /**
   * The level of the broker, ingest, api and fleet loggers: on a terminal only their warnings, so that the
   * summary and the alerts stand out; LOG_LEVEL, when set, applies to all.
   */
  serviceLevel: LevelWithSilent;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function createDemoLogger(env: NodeJS.ProcessEnv, isTerminal: boolean): DemoLogger {
  const format = env.LOG_FORMAT;
  if (format !== undefined && format !== 'json' && format !== 'pretty') {
    throw new Error(`LOG_FORMAT: expected json or pretty, got ${JSON.stringify(format)}`);
  }
  const level = env.LOG_LEVEL;
  if (level !== undefined && !(LEVELS as readonly string[]).includes(level)) {
    throw new Error(`LOG_LEVEL: expected one of ${LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  }
  const asPretty = format === undefined ? isTerminal : format === 'pretty';
  const base = (level ?? 'info') as LevelWithSilent;
  const serviceLevel = level !== undefined || !asPretty ? base : 'warn';
  const log = asPretty
    ? pino(
        { name: 'dev', level: base },
        pretty({
          colorize: isTerminal,
          ignore: 'pid,hostname,name',
          translateTime: 'SYS:HH:MM:ss',
          singleLine: true,
        }),
      )
    : pino({ name: 'dev', level: base });
  return { log, pretty: asPretty, serviceLevel };
}
