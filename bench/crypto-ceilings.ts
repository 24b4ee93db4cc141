/**
 * Child process, run on the server core: how many password checks and token signatures that core
 * can do at most, through the same code paths as the server (PasswordHasher with its concurrency
 * cap; WebCrypto, which jose and so oidc-provider sign with). Prints JSON.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { PasswordHasher } from '../src/accounts/password-hasher.ts';

export interface Throughput {
  perSecond: number;
  /** CPU time of this process (all threads) per operation. */
  cpuMs: number;
}

export interface CryptoCeilings {
  bcryptCost: number;
  bcryptCompares: Throughput;
  rs256Signs: Throughput;
  es256Signs: Throughput;
}

/** Keeps `concurrency` operations in flight for `seconds`: completed operations per second, CPU per operation. */
async function throughput(seconds: number, concurrency: number, operation: () => Promise<unknown>): Promise<Throughput> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let completed = 0;
  const loop = async () => {
    while (performance.now() < deadline) {
      await operation();
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const cpu = process.cpuUsage(cpuBefore);
  return { perSecond: completed / ((performance.now() - started) / 1000), cpuMs: (cpu.user + cpu.system) / 1000 / completed };
}

async function signer(algorithm: RsaHashedKeyGenParams | EcKeyGenParams, signParams: AlgorithmIdentifier | EcdsaParams) {
  const { privateKey } = (await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])) as CryptoKeyPair;
  // About the size of a client_credentials access token's signing input.
  const data = new TextEncoder().encode('x'.repeat(400));
  return () => webcrypto.subtle.sign(signParams, privateKey, data);
}

const seconds = Number(process.env.BENCH_CEILING_SECONDS) || 5;
const bcryptCost = Number(process.env.BCRYPT_COST);
if (!Number.isInteger(bcryptCost)) throw new Error('BCRYPT_COST must be set');

// The server's scheme: HMAC-SHA-256 under a pepper, then bcrypt (the HMAC costs nothing next to bcrypt).
const hasher = new PasswordHasher(bcryptCost, [randomBytes(32).toString('base64url')]);
const password = 'correct horse battery staple';
const hash = await hasher.hash(password);
const rs256 = await signer({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, 'RSASSA-PKCS1-v1_5');
const es256 = await signer({ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' });

const ceilings: CryptoCeilings = {
  bcryptCost,
  // More callers than the hasher lets through at once: the cap decides, as in the server.
  bcryptCompares: await throughput(seconds, 8, () => hasher.verify(password, hash)),
  rs256Signs: await throughput(seconds, 8, rs256),
  es256Signs: await throughput(seconds, 8, es256),
};
process.stdout.write(JSON.stringify(ceilings));
