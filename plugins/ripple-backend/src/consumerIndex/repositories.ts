import type { ScmIntegrationRegistry } from '@backstage/integration';
import parseGitUrl from 'git-url-parse';

/** A code location inside a repository checked as one. */
export type RepositoryLocation = {
  /** The repository's root at the location's ref: a URL `readTree` reads. */
  repository: string;
  /** The location's folder in it, without slashes at either end; '' for the root. */
  path: string;
};

/**
 * The repository a code location is in, when the SCM's tree etag is the
 * whole repository's, so that one conditional request answers for every
 * location in it: GitHub's (and GitHub Enterprise's) `readTree` answers with
 * the branch's commit SHA for any path, and downloads the whole
 * repository's archive for each. Undefined for the others, which are
 * checked location by location: GitLab's etag is the path's own last
 * commit, a `file:` location's is its own files'.
 *
 * The location is parsed as Backstage's GitHub reader parses it
 * (`git-url-parse`), so a repository is exactly what one of its status
 * requests covers: the same owner, name and ref.
 */
export function repositoryOf(
  integrations: ScmIntegrationRegistry,
  location: string,
): RepositoryLocation | undefined {
  if (!integrations.github.byUrl(location)) return undefined;
  let parsed: ReturnType<typeof parseGitUrl>;
  let origin: string;
  try {
    parsed = parseGitUrl(location);
    origin = new URL(location).origin;
  } catch {
    return undefined;
  }
  // A `blob` URL is a file, not a folder; the reader answers for it alone.
  if (parsed.filepathtype !== 'tree' && parsed.filepathtype !== '') {
    return undefined;
  }
  if (!parsed.owner || !parsed.name) return undefined;
  const ref = parsed.ref ? `/tree/${parsed.ref}` : '';
  return {
    repository: `${origin}/${parsed.full_name}${ref}`,
    path: (parsed.filepath ?? '').replace(/^\/+|\/+$/g, ''),
  };
}
