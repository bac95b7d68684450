import { parseEntityRef } from '@backstage/catalog-model';
import type { DeliveryRequest } from '../delivery';

/** The trailer naming the patch a commit carries, so a re-delivery recognises its own work. */
export const PATCH_TRAILER = 'Ripple-Patch';

/**
 * The branch of a consumer's delivery: `ripple/<migration-id-short>/<consumer-name>`
 * (the namespace is added when it is not `default`), a valid git ref name.
 */
export function deliveryBranch(request: DeliveryRequest): string {
  const { namespace, name } = parseEntityRef(request.consumer.ref);
  const consumer = namespace === 'default' ? name : `${namespace}-${name}`;
  return `ripple/${shortId(request.migration.id)}/${refSafe(consumer)}`;
}

/** The branch of a revert pull request. */
export function revertBranch(request: DeliveryRequest): string {
  return deliveryBranch(request).replace(/^ripple\//, 'ripple/revert/');
}

/** The first block of a UUID (8 hex digits): unique enough within one repository. */
function shortId(id: string): string {
  return refSafe(id.split('-')[0].slice(0, 12).toLowerCase());
}

const MAX_PART = 200;

// git check-ref-format: no spaces, ~^:?*[\ or control characters, no "..",
// no component starting with "." or ending with ".lock".
function refSafe(part: string): string {
  // Entity names are at most 63 characters; a longer part (only hostile
  // input) is cut before any regular expression sees it.
  const cleaned = part
    .slice(0, MAX_PART)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.');
  // Trimmed by a loop: /^[.-]+|[.-]+$/g is quadratic on a long run of dots
  // and dashes that does not end the text.
  let start = 0;
  let end = cleaned.length;
  while (start < end && (cleaned[start] === '.' || cleaned[start] === '-')) {
    start++;
  }
  while (
    end > start &&
    (cleaned[end - 1] === '.' || cleaned[end - 1] === '-')
  ) {
    end--;
  }
  return cleaned.slice(start, end).replace(/\.lock$/, '-lock') || 'consumer';
}

/** The commit message (and pull request title and body) of a delivery. */
export function deliveryMessage(request: DeliveryRequest): {
  title: string;
  body: string;
  commitMessage: string;
} {
  const { migration, patch } = request;
  const title = `${migration.title} (Ripple)`;
  const body = [
    `This change was proposed by Ripple for the migration [${migration.title}](${migration.url}) of \`${migration.datasetRef}\`, and approved by the owners of \`${request.consumer.ref}\`.`,
    '',
    `Review the migration, its rollout and this consumer's patch at ${migration.url}.`,
  ].join('\n');
  const commitMessage = [
    title,
    '',
    `Migration of ${migration.datasetRef} for ${request.consumer.ref}.`,
    migration.url,
    '',
    `Ripple-Migration: ${migration.id}`,
    `${PATCH_TRAILER}: ${patch.id}`,
    '',
  ].join('\n');
  return { title, body, commitMessage };
}

/** The commit message and pull request text of a revert of a merged delivery. */
export function revertMessage(
  request: DeliveryRequest,
  reverted?: string,
): { title: string; body: string; commitMessage: string } {
  const { migration, patch } = request;
  const title = `Revert "${migration.title} (Ripple)"`;
  const body = [
    `Ripple rolled back the migration [${migration.title}](${migration.url}) for \`${request.consumer.ref}\`.`,
    reverted ? `This reverts commit ${reverted}.` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
  const commitMessage = [
    title,
    '',
    reverted
      ? `This reverts commit ${reverted}.`
      : 'Ripple rolled this change back.',
    migration.url,
    '',
    `Ripple-Migration: ${migration.id}`,
    `Ripple-Revert: ${patch.id}`,
    '',
  ].join('\n');
  return { title, body, commitMessage };
}

/** The value of a trailer in a commit message, if any. */
export function readTrailer(message: string, key: string): string | undefined {
  // A scan of lines, not a regular expression: a multi-megabyte line
  // overflows V8's regular expression stack (a RangeError, seen in tests).
  const prefix = `${key}:`;
  for (const line of message.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const value = line.slice(prefix.length).trim();
    if (value) return value;
  }
  return undefined;
}
