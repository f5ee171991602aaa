import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** A throwaway private CA and a server certificate it signed, as PEM files in `dir`. */
export interface TestCertificates {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * Makes a private CA and a certificate for `localhost` and `127.0.0.1` signed by it, with the
 * `openssl` command line (what an administrator would use): the set-up of the README's
 * "agent's private CA". EC P-256 keys, so it takes milliseconds.
 */
export function makeTestCertificates(dir: string): TestCertificates {
  const path = (name: string) => join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl([
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Vigie test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl([
    'req',
    ...ecKey,
    '-keyout',
    path('server.key'),
    '-out',
    path('server.csr'),
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(
    path('server.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '',
    ].join('\n'),
  );
  openssl([
    'x509',
    '-req',
    '-in',
    path('server.csr'),
    '-CA',
    path('ca.pem'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-out',
    path('server.pem'),
    '-days',
    '2',
    '-extfile',
    path('server.ext'),
  ]);
  return { caFile: path('ca.pem'), certFile: path('server.pem'), keyFile: path('server.key') };
}

/** An https reverse proxy in the test process, as nginx or Caddy would sit in front of the server. */
export interface HttpsProxy {
  port: number;
  /** `METHOD path` of every request forwarded to the upstream, in order. */
  forwarded: string[];
  close(): Promise<void>;
}

/**
 * Listens with TLS on `host` (a free port) and forwards every request over plain http to
 * `upstreamPort` on 127.0.0.1, adding X-Forwarded-For and X-Forwarded-Proto.
 */
export function startHttpsProxy(
  certificates: TestCertificates,
  upstreamPort: number,
  host = '127.0.0.1',
): Promise<HttpsProxy> {
  const forwarded: string[] = [];
  const server = https.createServer(
    { key: readFileSync(certificates.keyFile), cert: readFileSync(certificates.certFile) },
    (req, res) => {
      forwarded.push(`${req.method} ${req.url}`);
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port: upstreamPort,
          method: req.method,
          path: req.url,
          headers: {
            ...req.headers,
            'x-forwarded-for': req.socket.remoteAddress ?? '',
            'x-forwarded-proto': 'https',
          },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
    },
  );
  // A client refusing the certificate shows up here; nothing to do with it.
  server.on('tlsClientError', () => undefined);
  return new Promise((resolveProxy, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      resolveProxy({
        port: (server.address() as AddressInfo).port,
        forwarded,
        close: () =>
          new Promise<void>((resolveClose) => {
            server.closeAllConnections();
            server.close(() => resolveClose());
          }),
      });
    });
  });
}
