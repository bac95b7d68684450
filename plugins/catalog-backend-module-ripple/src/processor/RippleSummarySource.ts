import type {
  AuthService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type {
  CatalogEntitySummary,
  CatalogSummary,
} from '@ripple/backstage-plugin-ripple-common';

/**
 * Ripple's summary of the entities its migrations touch (`GET
 * /api/ripple/catalog/summary`), read with the catalog's service credentials
 * and shared by every entity the catalog processes: it is fetched at most
 * once per `ttlSeconds`, by one request however many entities ask at once,
 * and conditionally (`If-None-Match`), so an unchanged summary costs Ripple
 * one small query. When Ripple cannot be reached the last summary is kept
 * (none at first), so entities keep what they had rather than failing.
 */
export class RippleSummarySource {
  private entities = new Map<string, CatalogEntitySummary>();
  private etag?: string;
  private fetchedAt?: number;
  private inFlight?: Promise<void>;

  constructor(
    private readonly options: {
      auth: AuthService;
      discovery: DiscoveryService;
      logger: LoggerService;
      ttlSeconds: number;
      now?: () => number;
    },
  ) {}

  /** The summary of one entity (its ref in lower case), if Ripple has one. */
  async get(entityRef: string): Promise<CatalogEntitySummary | undefined> {
    if (
      this.fetchedAt === undefined ||
      this.now() - this.fetchedAt >= this.options.ttlSeconds * 1000
    ) {
      this.inFlight ??= this.refresh().finally(() => {
        this.inFlight = undefined;
      });
      await this.inFlight;
    }
    return this.entities.get(entityRef.toLocaleLowerCase('en-US'));
  }

  private async refresh(): Promise<void> {
    const { auth, discovery, logger } = this.options;
    try {
      const { token } = await auth.getPluginRequestToken({
        onBehalfOf: await auth.getOwnServiceCredentials(),
        targetPluginId: 'ripple',
      });
      const url = `${await discovery.getBaseUrl('ripple')}/catalog/summary`;
      refuseClearText(url);
      const response = await fetch(url, {
        headers: {
          Authorization: `Bearer ${token}`,
          ...(this.etag ? { 'If-None-Match': this.etag } : {}),
        },
      });
      if (response.status === 304) {
        return;
      }
      if (!response.ok) {
        throw new Error(
          `${response.status} ${response.statusText}: ${await response.text()}`,
        );
      }
      const summary = (await response.json()) as CatalogSummary;
      this.entities = new Map(summary.entities.map(e => [e.entityRef, e]));
      this.etag = response.headers.get('etag') ?? undefined;
    } catch (error) {
      logger.warn(
        `Could not read Ripple's catalog summary; keeping the last one: ${error}`,
      );
    } finally {
      // A failure waits for the next period too: no request per entity.
      this.fetchedAt = this.now();
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

/**
 * The request carries a service token: never over http:// to another host.
 * Plain http is let through to this host only (the backend calling itself,
 * as discovery does by default), where the token does not cross a network.
 */
function refuseClearText(url: string): void {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'https:') return;
  const loopback =
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
  if (protocol !== 'http:' || !loopback) {
    throw new Error(
      `Ripple's URL ${url} is not https:// (nor http:// to this host); the service token is not sent in clear text. Make discovery give Ripple an https:// URL`,
    );
  }
}
