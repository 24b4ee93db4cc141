import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout (or `destination`). Secrets never reach them: request logs carry no query
 * string, body or cookie.
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
  return destination ? pino(options, destination) : pino(options);
}
