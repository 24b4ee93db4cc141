import dns2 from 'dns2';

const { Packet } = dns2;
const nxdomain = 3;

/** A DNS server on loopback (UDP) answering TXT and A queries from tables the test fills; other names do not exist. */
export class TestDnsServer {
  readonly #server: ReturnType<typeof dns2.createServer>;
  readonly #records = new Map<string, string[]>();
  readonly #addresses = new Map<string, string>();
  /** host:port, as the sign-in service's `dnsServers` setting expects. */
  address = '';

  constructor() {
    this.#server = dns2.createServer({
      udp: true,
      handle: (request, send) => {
        const response = Packet.createResponseFromRequest(request);
        const question = request.questions[0];
        const values = question ? this.#records.get(question.name.toLowerCase()) : undefined;
        const address = question ? this.#addresses.get(question.name.toLowerCase()) : undefined;
        if (address) {
          if (question!.type === Packet.TYPE.A)
            response.answers.push({ name: question!.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 1, address } as never);
        } else if (!values) response.header.rcode = nxdomain;
        else if (question!.type === Packet.TYPE.TXT) {
          for (const data of values) response.answers.push({ name: question!.name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 1, data } as never);
        }
        void send(response);
      },
    });
  }

  async start(): Promise<this> {
    const addresses = await this.#server.listen({ udp: { port: 0, address: '127.0.0.1' } });
    this.address = `127.0.0.1:${addresses.udp!.port}`;
    return this;
  }

  setTxt(name: string, values: string[]): void {
    this.#records.set(name.toLowerCase(), values);
  }

  /** An IPv4 address for `name` (A record; AAAA queries get no answer). */
  setAddress(name: string, address: string): void {
    this.#addresses.set(name.toLowerCase(), address);
  }

  close(): Promise<void> {
    return this.#server.close();
  }
}
