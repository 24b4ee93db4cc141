import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** Every http(s) link of the text part, in order. */
  links: string[];
}

/**
 * A real SMTP server (smtp-server) on a loopback port, inside the test process, collecting what the
 * app sends. `refuseNextRecipients(n)` makes it answer the next n RCPT TO with a temporary failure.
 */
export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  readonly #server: SMTPServer;
  readonly #listeners = new Set<() => void>();
  #refusals = 0;
  refusedAttempts = 0;
  url = '';

  private constructor() {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo: (_address, _session, callback) => {
        if (this.#refusals > 0) {
          this.#refusals -= 1;
          this.refusedAttempts += 1;
          const error = Object.assign(new Error('mailbox busy, try again later'), { responseCode: 451 });
          return callback(error);
        }
        callback();
      },
      onData: (stream, session, callback) => {
        simpleParser(stream).then(
          (parsed) => {
            const text = parsed.text ?? '';
            this.messages.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((recipient) => recipient.address),
              subject: parsed.subject ?? '',
              text,
              html: typeof parsed.html === 'string' ? parsed.html : '',
              links: text.match(/https?:\/\/\S+/g) ?? [],
            });
            for (const listener of this.#listeners) listener();
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
  }

  static async start(): Promise<SmtpSink> {
    const sink = new SmtpSink();
    await new Promise<void>((resolve) => sink.#server.listen(0, '127.0.0.1', resolve));
    const { port } = sink.#server.server.address() as AddressInfo;
    sink.url = `smtp://127.0.0.1:${port}`;
    return sink;
  }

  refuseNextRecipients(count: number): void {
    this.#refusals = count;
  }

  to(address: string): ReceivedMail[] {
    return this.messages.filter((mail) => mail.to.includes(address));
  }

  /** Waits for the n-th mail (1-based) to an address, and returns it. */
  waitFor(address: string, count = 1, timeoutMs = 10_000): Promise<ReceivedMail> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const mail = this.to(address)[count - 1];
        if (!mail) return false;
        cleanup();
        resolve(mail);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `no mail #${count} to ${address} within ${timeoutMs} ms (received: ${this.messages.map((m) => `${m.to.join(',')}: ${m.subject}`).join('; ') || 'none'})`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
      };
      const listener = () => void check();
      if (check()) return;
      this.#listeners.add(listener);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
