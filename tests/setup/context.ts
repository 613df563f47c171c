import type { InfluxConnection } from '@coldchain/influx';

/** The throwaway InfluxDB that the global setup started for this test run. */
export interface TestInflux extends InfluxConnection {
  version: string;
  /** The influxd binary, for tests that start servers of their own (stop/restart scenarios). */
  binary: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    influx: TestInflux;
  }
}
