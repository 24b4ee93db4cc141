import { Writable } from 'node:stream';

/** A pino destination keeping every line written to it: `createLogger(level, new CapturedLog())`. */
export class CapturedLog extends Writable {
  text = '';

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }

  /** Every line parsed as JSON; a line that is not JSON fails the test. */
  get lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
