import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// A real Prometheus (Debian's package, installed by scripts/setup.sh) that
// scrapes an exporter the test sets the values of: the Prometheus tests'
// fixture.

/** Whether Debian's `prometheus` is on the PATH. */
export function prometheusInstalled(): boolean {
  return spawnSync('prometheus', ['--version']).status === 0;
}

/** A free port on 127.0.0.1, for a process that must be told its port. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}

/** Gauges by name and `consumer` label, served in the text format. */
export class TestExporter {
  private readonly gauges = new Map<string, Map<string, number>>();
  private server?: http.Server;
  port = 0;

  set(name: string, consumer: string, value: number) {
    if (!this.gauges.has(name)) this.gauges.set(name, new Map());
    this.gauges.get(name)!.set(consumer, value);
  }

  async start() {
    this.server = http.createServer((_req, res) => {
      const lines: string[] = [];
      for (const [name, byConsumer] of this.gauges) {
        lines.push(`# TYPE ${name} gauge`);
        for (const [consumer, value] of byConsumer) {
          lines.push(`${name}{consumer="${consumer}"} ${value}`);
        }
      }
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(`${lines.join('\n')}\n`);
    });
    await new Promise<void>(resolve =>
      this.server!.listen(0, '127.0.0.1', resolve),
    );
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop() {
    await new Promise(resolve => this.server?.close(resolve));
  }
}

/** Prometheus scraping the exporter every second, with its data in a temporary folder. */
export class TestPrometheus {
  private process?: ChildProcess;
  private dir = '';
  baseUrl = '';

  async start(exporter: TestExporter) {
    this.dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-prometheus-'));
    const config = path.join(this.dir, 'prometheus.yml');
    await fs.writeFile(
      config,
      `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: consumers
    static_configs:
      - targets: ['127.0.0.1:${exporter.port}']
`,
    );
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.process = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`${this.baseUrl}/-/ready`)).ok) break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error('Prometheus did not start');
      await new Promise(r => setTimeout(r, 200));
    }
  }

  /** Waits until a query gives a value: the exporter was scraped. */
  async waitFor(query: string) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await fetch(
        `${this.baseUrl}/api/v1/query?query=${encodeURIComponent(query)}`,
      );
      const body = await res.json();
      if (body.data?.result?.length) return;
      if (Date.now() > deadline) throw new Error(`No data for ${query}`);
      await new Promise(r => setTimeout(r, 200));
    }
  }

  async stop() {
    this.process?.kill('SIGTERM');
    await new Promise(resolve => {
      if (!this.process || this.process.exitCode !== null) resolve(undefined);
      else this.process.once('exit', resolve);
    });
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
