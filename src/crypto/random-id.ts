import { randomBytes } from 'node:crypto';

/** An unguessable id for URLs and correlation (24 random bytes by default), base64url. */
export const randomId = (bytes = 24) => randomBytes(bytes).toString('base64url');
