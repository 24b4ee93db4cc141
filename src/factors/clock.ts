/** Where the factor code reads the time: tests move it to check drift, expiry and 30-day trust. */
export interface Clock {
  now(): Date;
}

/** A clock of its own per service set, so a test can move one without touching another. */
export function systemClock(): Clock {
  return { now: () => new Date() };
}
