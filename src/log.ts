import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout (or `destination`). Secrets never reach them: request logs carry no query
 * string, body or cookie. Stdout is written synchronously: pino's default writes each line through
 * libuv's thread pool, where it waits behind password hashes and costs a thread hand-off per
 * request; a synchronous write is one system call, and a crash loses no line.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    // The pid tells the workers of one instance apart (WEB_CONCURRENCY).
    base: { service: 'signin', pid: process.pid },
    redact: {
      paths: ['password', '*.password', 'client_secret', '*.client_secret', 'authorization', '*.authorization', 'cookie', '*.cookie'],
      censor: '[redacted]',
    },
  };
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}
