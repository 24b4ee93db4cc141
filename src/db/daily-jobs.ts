import { sql } from 'kysely';
import type { Db } from './database.ts';

/**
 * Claims today's run of a daily job: true for the one instance (or worker) whose claim lands first,
 * false for every other, so a job runs once a day across the cluster however many poll for it.
 */
export async function claimDailyRun(db: Db, job: string): Promise<boolean> {
  const claimed = await db
    .insertInto('daily_job_runs')
    .values({ job, run_on: sql<string>`current_date` })
    .onConflict((oc) => oc.doNothing())
    .returning('job')
    .executeTakeFirst();
  return claimed !== undefined;
}

export interface DailyJob {
  name: string;
  run(): Promise<unknown>;
}

const checkEveryMs = 60 * 60_000;

/**
 * Every instance checks hourly (and at start) whether today's run of each job is still unclaimed,
 * and runs the ones it claims. Returns the stop function (for shutdown).
 */
export function scheduleDailyJobs(db: Db, jobs: readonly DailyJob[], logger: { info: (o: object, m: string) => void; error: (o: object, m: string) => void }) {
  const tick = async () => {
    for (const job of jobs) {
      try {
        if (await claimDailyRun(db, job.name)) logger.info({ job: job.name, result: await job.run() }, 'daily job done');
      } catch (error) {
        logger.error({ err: error, job: job.name }, 'daily job failed');
      }
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), checkEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}
