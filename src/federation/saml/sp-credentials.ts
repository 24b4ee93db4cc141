import { generate } from 'selfsigned';

export interface SpCredentials {
  privateKeyPem: string;
  certificatePem: string;
}

const tenYearsMs = 10 * 365 * 24 * 3600 * 1000;

/**
 * A key pair and self-signed certificate for one connection's service provider: it signs our
 * AuthnRequests and is published in our SP metadata (SAML trusts the key, not a CA chain).
 */
export async function generateSpCredentials(commonName: string): Promise<SpCredentials> {
  const generated = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + tenYearsMs),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
    ],
  });
  return { privateKeyPem: generated.private, certificatePem: generated.cert };
}
