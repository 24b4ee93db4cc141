import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs. Secrets never reach them: request logs carry no query string, body or cookie. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'signin' },
    redact: {
      paths: ['password', '*.password', 'client_secret', '*.client_secret', 'authorization', '*.authorization', 'cookie', '*.cookie'],
      censor: '[redacted]',
    },
  });
}
