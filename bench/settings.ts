import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();

const settingsSchema = z.object({
  /** Measured seconds per scenario (each also gets a short warm-up). */
  BENCH_SECONDS: positiveInt.default(10),
  /** Concurrent keep-alive connections for the token scenarios. */
  BENCH_CONNECTIONS: positiveInt.default(32),
  /** Parallel login loops for the login scenarios. */
  BENCH_LOGIN_CONCURRENCY: positiveInt.default(4),
  /** Fixed offered token rate while measuring p99 with and without logins (not a saturation test). */
  BENCH_MIXED_RATE: positiveInt.default(200),
  /** The server's log level: `info` (one line per request, as in production) by default. */
  BENCH_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'),
  /** Set to 0 to leave README.md untouched. */
  BENCH_WRITE_README: z.enum(['0', '1']).default('1'),
});

/** Connections of the fixed-rate scenario (d), and app sessions refreshing side by side (e). */
export const mixedConnections = 16;

export type BenchSettings = z.infer<typeof settingsSchema>;

export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid bench setting: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** A short warm-up before each measurement, so JIT and connection pools are settled. */
export function warmupSeconds(settings: BenchSettings): number {
  return Math.max(1, Math.min(3, Math.round(settings.BENCH_SECONDS / 5)));
}
