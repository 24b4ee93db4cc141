import { basicAuthorization } from './fixtures.ts';
import { percentile } from './login-driver.ts';
import type { LoadResult } from './token-load.ts';

export interface RefreshTarget {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

/**
 * Refresh-token grants: each chain (one signed-in app session) refreshes back to back for
 * `seconds`, always with the refresh token the previous answer rotated to, as an app does; the
 * chains run side by side. Returns the chains' latest refresh tokens, to go on with.
 */
export async function driveRefreshes(target: RefreshTarget, chains: string[], seconds: number): Promise<LoadResult & { chains: string[] }> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const durations: number[] = [];
  let completed = 0;
  let failures = 0;
  const authorization = basicAuthorization(target.clientId, target.clientSecret);
  const next = [...chains];
  const chain = async (index: number) => {
    while (performance.now() < deadline) {
      const begun = performance.now();
      const response = await fetch(new URL('/token', target.baseUrl), {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: next[index]! }).toString(),
      });
      const tokens = (await response.json()) as { refresh_token?: string; error?: string };
      completed += 1;
      // A broken chain cannot go on: its token is gone.
      if (!response.ok || !tokens.refresh_token) throw new Error(`refresh failed: ${response.status} ${tokens.error ?? ''}`);
      next[index] = tokens.refresh_token;
      if (performance.now() <= deadline) durations.push(performance.now() - begun);
    }
  };
  const outcomes = await Promise.allSettled(next.map((_, index) => chain(index)));
  failures = outcomes.filter((outcome) => outcome.status === 'rejected').length;
  const elapsedSeconds = (Math.min(performance.now(), deadline) - started) / 1000;
  durations.sort((a, b) => a - b);
  return {
    completed,
    perSecond: durations.length / elapsedSeconds,
    p50Ms: percentile(durations, 0.5),
    p99Ms: percentile(durations, 0.99),
    failures,
    chains: next,
  };
}
