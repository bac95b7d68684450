import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Serves the bare repositories below `projectRoot` over git's smart HTTP
 * protocol on HTTPS, through git's own CGI (`git http-backend`), behind
 * HTTP basic auth: a real remote for tests, the kind the backend reaches
 * with integration credentials (never over http://). Its certificate is
 * made for the test (openssl) and trusted through `caFile`, which git
 * reads from `GIT_SSL_CAINFO`.
 */
export async function startGitHttpsServer(options: {
  projectRoot: string;
  username: string;
  password: string;
}): Promise<{
  url: string;
  caFile: string;
  requests: string[];
  close(): Promise<void>;
}> {
  const tls = await selfSignedCertificate();
  const expected = `Basic ${Buffer.from(
    `${options.username}:${options.password}`,
  ).toString('base64')}`;
  const requests: string[] = [];
  const server = https.createServer(tls, (req, res) => {
    const url = new URL(req.url!, 'http://localhost');
    requests.push(`${req.method} ${url.pathname}`);
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      res.end();
      return;
    }
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: options.projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: options.username,
        REQUEST_METHOD: req.method,
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      },
    });
    req.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    cgi.stdout.on('data', chunk => chunks.push(chunk));
    cgi.on('close', () => {
      // A CGI response: headers, a blank line, the body.
      const output = Buffer.concat(chunks);
      const split = output.indexOf('\r\n\r\n');
      const headers = output.subarray(0, split).toString().split('\r\n');
      let status = 200;
      const outHeaders: Record<string, string> = {};
      for (const line of headers) {
        const [name, ...rest] = line.split(':');
        const value = rest.join(':').trim();
        if (name.toLowerCase() === 'status') {
          status = parseInt(value, 10);
        } else if (name) {
          outHeaders[name] = value;
        }
      }
      res.writeHead(status, outHeaders);
      res.end(output.subarray(split + 4));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: tls.caFile,
    requests,
    close: async () => {
      await new Promise<void>(resolve => server.close(() => resolve()));
      await fs.rm(tls.dir, { recursive: true, force: true });
    },
  };
}

/** A key and a certificate for 127.0.0.1, valid for a day. */
async function selfSignedCertificate() {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const caFile = path.join(dir, 'cert.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    caFile,
  ]);
  return {
    dir,
    caFile,
    key: await fs.readFile(keyFile),
    cert: await fs.readFile(caFile),
  };
}
