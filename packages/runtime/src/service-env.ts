import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * The variables every service reads the same way, as zod shapes a service's own schema spreads in
 * (`z.object({ ...storeEnv, ...influxEnv, MY_VAR: … })`), so that a variable means one thing everywhere.
 */
export const storeEnv = {
  COLDCHAIN_DATA_DIR: z.string().default('./.data'),
  /** Unset: SQLite in the data folder. `postgres://…`: a metadata store shared by several processes. */
  COLDCHAIN_DATABASE_URL: z
    .string()
    .regex(
      /^postgres(ql)?:\/\//,
      'must be a postgres:// or postgresql:// URL (unset for SQLite in the data folder)',
    )
    .optional(),
};

export const influxEnv = {
  INFLUX_URL: z.string().url(),
  INFLUX_TOKEN: z.string().min(1),
  INFLUX_ORG: z.string().min(1).default('coldchain'),
  INFLUX_BUCKET: z.string().min(1).default('telemetry'),
};

export const profilesEnv = {
  COLDCHAIN_PROFILES_FILE: z
    .string()
    .default(fileURLToPath(new URL('../../../seeds/profiles.json', import.meta.url))),
};

export const logLevelEnv = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/**
 * Parses a service's environment; a bad value throws one error naming every bad variable
 * (`invalid <service> configuration:` then a line per variable), which `runService` prints.
 */
export function parseServiceEnv<S extends z.ZodType>(
  service: string,
  schema: S,
  env: NodeJS.ProcessEnv,
): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new Error(`invalid ${service} configuration:\n${lines.join('\n')}`);
}
