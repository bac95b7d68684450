import type { ScmIntegrationRegistry } from '@backstage/integration';
import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { rateLimitAnswer, type RateLimitAnswer } from './rateLimitAnswer';

/**
 * Sees the rate-limit headers of every answer the backend's HTTP clients
 * receive, through Node's diagnostics channels, and reports them by
 * integration host.
 *
 * Why: Backstage's URL readers throw a plain `Error` on a 403 or 429 (the
 * GitHub reader appends "(rate limit exceeded)" to the message, the GitLab
 * reader nothing), so the reset headers never reach a wrapper of the
 * UrlReaderService. The readers fetch with `node-fetch` (over `node:http`,
 * GitHub and most others) or Node's global fetch (undici, GitLab); both
 * publish each answer's status and headers on a documented channel
 * (`http.client.response.finish`, `undici:request:headers`). Subscribing
 * reads them without patching or replacing any reader.
 *
 * An answer is reported under its integration's host: GitHub's API
 * (`api.github.com`) and raw (`raw.githubusercontent.com`) hosts are
 * reported as `github.com`, the host of the URLs read. An answer from a host
 * no integration names is reported under its own host. Answers of other
 * plugins (the catalog reading github.com) count too: the limit is the
 * token's, whoever spent it.
 */
export class ScmAnswerObserver {
  private readonly onHttp = (message: unknown) => {
    const { request, response } = message as {
      request: ClientRequest;
      response: IncomingMessage;
    };
    const host = request.getHeader('host') ?? request.host;
    this.answer(String(host), response.statusCode ?? 0, name => {
      const value = response.headers[name];
      return Array.isArray(value) ? value[0] : value;
    });
  };

  private readonly onUndici = (message: unknown) => {
    const { request, response } = message as {
      request: { origin: string | URL };
      response: { statusCode: number; headers: Array<Buffer | string> };
    };
    const headers = new Map<string, string>();
    for (let i = 0; i + 1 < response.headers.length; i += 2) {
      headers.set(
        String(response.headers[i]).toLowerCase(),
        String(response.headers[i + 1]),
      );
    }
    this.answer(
      new URL(String(request.origin)).host,
      response.statusCode,
      name => headers.get(name),
    );
  };

  private subscribed = false;

  constructor(
    private readonly hosts: Map<string, string>,
    private readonly report: (host: string, answer: RateLimitAnswer) => void,
  ) {}

  /**
   * The integration host of each host an integration talks to: its own,
   * its API's, its raw files' (`integrations.github[].apiBaseUrl`, ...).
   */
  static integrationHosts(integrations: ScmIntegrationRegistry) {
    const hosts = new Map<string, string>();
    for (const integration of integrations.list()) {
      // Every integration class has a `config` with its host and the base
      // URLs it calls; the shared ScmIntegration type does not declare it.
      const { config } = integration as unknown as {
        config?: {
          host?: string;
          apiBaseUrl?: string;
          rawBaseUrl?: string;
          baseUrl?: string;
        };
      };
      if (!config?.host) {
        continue;
      }
      for (const url of [
        config.apiBaseUrl,
        config.rawBaseUrl,
        config.baseUrl,
      ]) {
        if (url) {
          try {
            hosts.set(new URL(url).host, config.host);
          } catch {
            // Not a URL: the integration's own config check says so.
          }
        }
      }
      hosts.set(config.host, config.host);
    }
    return hosts;
  }

  start() {
    if (!this.subscribed) {
      diagnostics.subscribe('http.client.response.finish', this.onHttp);
      diagnostics.subscribe('undici:request:headers', this.onUndici);
      this.subscribed = true;
    }
  }

  stop() {
    if (this.subscribed) {
      diagnostics.unsubscribe('http.client.response.finish', this.onHttp);
      diagnostics.unsubscribe('undici:request:headers', this.onUndici);
      this.subscribed = false;
    }
  }

  private answer(
    host: string,
    status: number,
    header: (name: string) => string | undefined,
  ) {
    // A subscriber that throws would break the request it observes.
    try {
      const answer = rateLimitAnswer(status, header, Date.now());
      if (answer) {
        this.report(this.hosts.get(host) ?? host, answer);
      }
    } catch {
      // An answer it cannot read is one it does not act on.
    }
  }
}
