import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ConsumerCode } from '../agent/ConsumerSources';
import { hashCode } from '../agent/proposePatch';
import type { IndexedCode } from '../database/ConsumerIndexStore';
import { type CodeSummary, tableKeys } from './codeSummary';

/**
 * The index keeps each location's code gzipped (SQL and YAML shrink about
 * five times), so that requests and the agent read it from the database and
 * never from the SCM.
 */
export function storeCode(
  code: ConsumerCode,
  summary: CodeSummary,
  engineVersion: string,
  contentEtag?: string,
): IndexedCode {
  const json = Buffer.from(JSON.stringify(code));
  return {
    code: gzipSync(json),
    codeHash: hashCode(code),
    codeBytes: json.length,
    summary,
    tableKeys: tableKeys(summary, code),
    engineVersion,
    ...(contentEtag ? { contentEtag } : {}),
  };
}

export function loadCode(stored: Buffer): ConsumerCode {
  return JSON.parse(gunzipSync(stored).toString('utf8'));
}

/** A claim's token: unique per claim, so a late write of an old one is refused. */
export function claimToken(): string {
  return randomUUID();
}
