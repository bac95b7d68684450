import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { TestGitRepository } from '../../testUtils';
import { CONSUMER_FILES, deliveryRequest } from '../__testUtils__/requests';
import { createGitBranchDeliveryMethod } from './gitBranchDeliveryMethod';
import { branchNameProblem } from './gitInputs';
import { resolveGitTarget } from './gitTarget';
import { MirrorRepository } from './MirrorRepository';

const ENTITY = 'component:default/revenue-model';
const AUTHOR = { name: 'Ripple', email: 'ripple@backstage.local' };

/**
 * What a catalog entry may put in the git annotations, read as an attacker
 * would: none of it may reach git as an option or a transport, and no
 * process or file may appear.
 */
describe('hostile git annotations', () => {
  let repo: TestGitRepository;
  let marker: string;
  let shimLog: string;
  let savedPath: string | undefined;

  beforeAll(async () => {
    repo = await TestGitRepository.create(CONSUMER_FILES);
    marker = path.join(repo.root, 'pwned');
    // A `git` first on PATH that logs each call, then runs the real one:
    // a refused value must start no git process at all.
    const shim = path.join(repo.root, 'shim');
    shimLog = path.join(repo.root, 'git-calls.log');
    const realGit = (
      await promisify(execFile)('sh', ['-c', 'command -v git'])
    ).stdout.trim();
    await fs.mkdir(shim);
    await fs.writeFile(
      path.join(shim, 'git'),
      `#!/bin/sh\necho "$*" >> '${shimLog}'\nexec '${realGit}' "$@"\n`,
      { mode: 0o755 },
    );
    savedPath = process.env.PATH;
    process.env.PATH = `${shim}${path.delimiter}${process.env.PATH}`;
  });

  afterAll(async () => {
    process.env.PATH = savedPath;
    await repo.remove();
  });

  beforeEach(async () => {
    await fs.rm(shimLog, { force: true });
  });

  const hostileRepositories = () => [
    `--upload-pack=touch ${marker}`,
    `-u touch ${marker}`,
    '../../srv/git/payments.git',
    'payments.git',
    `ext::sh -c touch% ${marker}`,
    'fd::17',
    `https://github.com/acme/revenue.git\n--upload-pack=touch ${marker}`,
    `ssh://-oProxyCommand=touch%20${encodeURIComponent(marker)}/repo.git`,
    `-oProxyCommand=touch ${marker}@host:repo.git`,
    'http://github.com/acme/revenue.git',
    'git://github.com/acme/revenue.git',
    'https://x-access-token:ghp_secret@github.com/acme/revenue.git',
    'file:///etc',
    '/etc',
    `${repo.root}/../outside.git`,
  ];

  it('refuses each hostile ripple.io/git-repository when the entity is read, naming the entity and the annotation', () => {
    for (const value of hostileRepositories()) {
      const request = deliveryRequest({
        annotations: { 'ripple.io/git-repository': value },
        diff: '',
      });
      const target = resolveGitTarget(request.consumer.entity, [repo.root]);
      expect({ value, target }).toEqual({
        value,
        target: {
          error: expect.stringContaining(
            `${ENTITY}: annotation ripple.io/git-repository: ${JSON.stringify(
              value,
            )}`,
          ),
        },
      });
    }
  });

  it('refuses a link below a local root that leads out of it', async () => {
    const outside = await TestGitRepository.create(CONSUMER_FILES);
    try {
      const link = path.join(repo.root, 'link.git');
      await fs.symlink(outside.remote, link);
      const request = deliveryRequest({
        annotations: { 'ripple.io/git-repository': link },
        diff: '',
      });
      expect(resolveGitTarget(request.consumer.entity, [repo.root])).toEqual({
        error: expect.stringContaining(
          `is ${outside.remote}, not below a folder of ripple.delivery.gitBranch.localRoots`,
        ),
      });
    } finally {
      await outside.remove();
    }
  });

  it('accepts https://, ssh://, user@host:path, and local repositories below a root', () => {
    const accepted = {
      'https://github.com/acme/revenue.git':
        'https://github.com/acme/revenue.git',
      'ssh://git@github.com/acme/revenue.git':
        'ssh://git@github.com/acme/revenue.git',
      'git@github.com:acme/revenue.git': 'git@github.com:acme/revenue.git',
      [repo.remote]: repo.remote,
      [`file://${repo.remote}`]: repo.remote,
    };
    for (const [value, url] of Object.entries(accepted)) {
      const request = deliveryRequest({
        annotations: { 'ripple.io/git-repository': value },
        diff: '',
      });
      expect(resolveGitTarget(request.consumer.entity, [repo.root])).toEqual(
        expect.objectContaining({ url }),
      );
    }
  });

  const hostileBranches = [
    'main..evil',
    'main@{1}',
    '-b',
    '--upload-pack=x',
    'a b',
    'feature.lock',
    '.hidden',
    'a//b',
    'a/',
    'ends.',
    'HEAD',
    '@',
    'x~1',
    'x^',
    'x:y',
    'x?',
    'x*',
    'x[',
    'x\\y',
    'main\nevil',
    'tab\there',
  ];

  it('refuses branch names that git check-ref-format --branch refuses, from the annotation and the source location', () => {
    for (const branch of hostileBranches) {
      const annotated = deliveryRequest({
        annotations: {
          'ripple.io/git-repository': repo.remote,
          'ripple.io/git-base-branch': branch,
        },
        diff: '',
      });
      const target = resolveGitTarget(annotated.consumer.entity, [repo.root]);
      expect({ branch, target }).toEqual({
        branch,
        target: {
          error: expect.stringContaining(
            `${ENTITY}: annotation ripple.io/git-base-branch: branch ${JSON.stringify(
              branch.trim(),
            )}`,
          ),
        },
      });
    }
    const fromSource = deliveryRequest({
      annotations: {
        'backstage.io/source-location':
          'url:https://github.com/acme/revenue/tree/main..evil/',
      },
      diff: '',
    });
    expect(resolveGitTarget(fromSource.consumer.entity, [])).toEqual({
      error: expect.stringContaining(
        `${ENTITY}: annotation backstage.io/source-location: branch "main..evil" holds ".."`,
      ),
    });
  });

  it('judges branch names as git check-ref-format --branch does', async () => {
    const names = [
      ...hostileBranches,
      'main',
      'release/2026.11',
      'ripple/3f2a9c1e/revenue-model',
      'feature-x',
      'v1.0',
      'a.b/c_d',
      'UPPER/case',
    ];
    // `@` alone is HEAD's shorthand, which `--branch` prints back outside a
    // repository (and expands inside one); as a ref name git refuses it
    // (git-check-ref-format(1), rule 9), and so does Ripple.
    expect(branchNameProblem('@')).toBe('is "@"');
    for (const name of names.filter(n => n !== '@')) {
      const gitAccepts = await promisify(execFile)(
        'git',
        ['check-ref-format', '--branch', name],
        { cwd: repo.root },
      ).then(
        () => true,
        () => false,
      );
      expect({ name, accepted: branchNameProblem(name) === undefined }).toEqual(
        { name, accepted: gitAccepts },
      );
    }
  });

  it('refuses a ripple.io/git-directory that leaves the repository', () => {
    const request = deliveryRequest({
      annotations: {
        'ripple.io/git-repository': repo.remote,
        'ripple.io/git-directory': 'models/../../..',
      },
      diff: '',
    });
    expect(resolveGitTarget(request.consumer.entity, [repo.root])).toEqual({
      error: `${ENTITY}: annotation ripple.io/git-directory: folder "models/../../.." leaves the repository ("..")`,
    });
  });

  it('refuses every operation of the git-branch method on a hostile value: no git process starts, no file appears', async () => {
    const workDir = path.join(repo.root, 'mirrors');
    const method = createGitBranchDeliveryMethod({
      localRoots: [repo.root],
      workDir,
    });
    for (const value of hostileRepositories()) {
      const request = deliveryRequest({
        annotations: { 'ripple.io/git-repository': value },
        diff: '',
      });
      // The method takes the consumer, to say why it refuses it.
      expect(method.supports(request.consumer)).toBe(true);
      const readiness = await method.checkReady(request, {
        method: 'git-branch',
        status: 'pending',
      });
      expect(readiness.ready).toBe(false);
      expect(readiness.reason).toContain(
        `${ENTITY}: annotation ripple.io/git-repository`,
      );
      const delivery = await method.deliver(request);
      expect(delivery.status).toBe('failed');
      expect(delivery.message).toContain(
        `${ENTITY}: annotation ripple.io/git-repository`,
      );
      const delivered = {
        method: 'git-branch',
        status: 'delivered' as const,
        commit: 'a'.repeat(40),
      };
      expect((await method.sync(request, delivered)).status).toBe('failed');
      expect((await method.revert(request, delivered)).status).toBe('reverted');
    }
    await expect(fs.readFile(shimLog, 'utf8')).rejects.toThrow(/ENOENT/);
    await expect(fs.access(marker)).rejects.toThrow(/ENOENT/);
    await expect(fs.access(workDir)).rejects.toThrow(/ENOENT/);
  });

  it('puts --end-of-options before every URL, so even an unchecked value is no option', async () => {
    // MirrorRepository is below the checks: it must be safe on its own.
    await expect(
      MirrorRepository.use(
        {
          url: `--upload-pack=touch ${marker}`,
          author: AUTHOR,
          workDir: path.join(repo.root, 'direct'),
        },
        async mirror => {
          await mirror.fetch(['main']);
        },
      ),
    ).rejects.toThrow(/git ls-remote failed/);
    await expect(
      MirrorRepository.use(
        {
          url: `ext::sh -c touch% ${marker}`,
          author: AUTHOR,
          workDir: path.join(repo.root, 'direct'),
        },
        mirror => mirror.defaultBranch(),
      ),
    ).rejects.toThrow(/transport 'ext' not allowed/);
    await expect(fs.access(marker)).rejects.toThrow(/ENOENT/);
    // And git was started: the refusal is git's, not a check's.
    expect(await fs.readFile(shimLog, 'utf8')).toContain(
      'ls-remote --heads --end-of-options --upload-pack=touch',
    );
  });

  it('keeps git itself to the https, ssh and local transports', async () => {
    await expect(
      MirrorRepository.use(
        {
          url: 'http://127.0.0.1:9/acme/revenue.git',
          author: AUTHOR,
          workDir: path.join(repo.root, 'direct'),
        },
        mirror => mirror.defaultBranch(),
      ),
    ).rejects.toThrow(/transport 'http' not allowed/);
  });
});
