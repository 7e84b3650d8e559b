// A throwaway certificate authority and a server certificate it signed, for 127.0.0.1 and
// localhost, made with the openssl command (tests of TLS against a real redis-server).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsFiles } from './redis-server.js';

/** Makes the CA and the server's key and certificate in a new temporary directory; returns their paths and the CA's PEM. */
export function selfSignedCertificate(): TlsFiles & { dir: string; caPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dualbus-tls-'));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=dualbus test CA', '-keyout', at('ca.key'), '-out', at('ca.crt'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', at('server.key'), '-out', at('server.csr'));
  writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', at('server.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', at('server.ext'), '-out', at('server.crt'));
  return { dir, certFile: at('server.crt'), keyFile: at('server.key'), caFile: at('ca.crt'), caPem: readFileSync(at('ca.crt'), 'utf8') };
}
