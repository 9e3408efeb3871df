// A self-signed certificate for a local TLS server in a test (openssl, valid two days): the
// server presents it, and the client trusts it as its own CA.
import { execFileSync } from 'node:child_process';
import { isIP } from 'node:net';
import path from 'node:path';

export interface CertificateFiles {
  /** `<name>.crt`: the certificate, PEM. */
  cert: string;
  /** `<name>.key`: its private key, PEM, unencrypted. */
  key: string;
}

/**
 * Writes `<name>.crt` and `<name>.key` into `dir`, for `host` (its common name and its one
 * subject alternative name: an `IP:` for an address, a `DNS:` name otherwise).
 */
export function selfSignedCertificate(dir: string, name: string, host: string): CertificateFiles {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  const altName = isIP(host) ? `IP:${host}` : `DNS:${host}`;
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=${altName}`,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}
