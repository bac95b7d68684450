/* eslint-disable no-console */
// How long the git-branch delivery method takes per operation, against a
// local bare repository of a realistic size (files and history), and how
// that grows with the repository. Run: yarn workspace
// @ripple/backstage-plugin-ripple-node bench [FILES] [COMMITS]
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGitBranchDeliveryMethod } from '../src/methods/git/gitBranchDeliveryMethod';
import { END_OF_OPTIONS, runGit } from '../src/methods/git/runGit';
import {
  CONSUMER_FILES,
  deliveryRequest,
  enginePatch,
} from '../src/methods/__testUtils__/requests';

async function makeRepository(root: string, files: number, commits: number) {
  const remote = path.join(root, 'remote.git');
  await runGit([
    'init',
    '--bare',
    '--quiet',
    '--initial-branch=main',
    END_OF_OPTIONS,
    remote,
  ]);
  // git fast-import builds the history in one process, quickly.
  const lines: string[] = [];
  const blob = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  let timestamp = 1_700_000_000;
  for (let c = 0; c < commits; c++) {
    lines.push('commit refs/heads/main');
    lines.push(`committer Bench <bench@example.com> ${timestamp++} +0000`);
    lines.push(blob(`Commit ${c}`).trimEnd());
    if (c === 0) {
      for (const [file, text] of Object.entries(CONSUMER_FILES)) {
        lines.push(`M 100644 inline ${file}`, blob(text).trimEnd());
      }
      for (let f = 0; f < files; f++) {
        const text =
          `-- model ${f}\nSELECT ${f} AS id, 'x' AS value FROM proj.ds.t${
            f % 50
          }\n`.repeat(20);
        lines.push(
          `M 100644 inline models/generated/m${f}.sql`,
          blob(text).trimEnd(),
        );
      }
    } else {
      const f = c % files;
      lines.push(
        `M 100644 inline models/generated/m${f}.sql`,
        blob(`-- edit ${c}\nSELECT ${c}\n`).trimEnd(),
      );
    }
    lines.push('');
  }
  await runGit(['fast-import', '--quiet'], {
    gitDir: remote,
    input: `${lines.join('\n')}\n`,
  });
  return remote;
}

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return [result, Number(process.hrtime.bigint() - start) / 1e6];
}

async function main() {
  const files = Number(process.argv[2] ?? 2000);
  const commits = Number(process.argv[3] ?? 2000);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-bench-'));
  try {
    const [remote, setupMs] = await time(() =>
      makeRepository(root, files, commits),
    );
    const size = (
      await runGit(['count-objects', '-vH'], { gitDir: remote })
    ).match(/size-pack: (.*)/)?.[1];
    console.log(
      `repository: ${files} files, ${commits} commits, pack ${size} (made in ${setupMs.toFixed(
        0,
      )} ms)`,
    );
    const { diff } = await enginePatch();
    const method = createGitBranchDeliveryMethod({
      localRoots: [root],
      workDir: path.join(root, 'mirrors'),
    });
    const request = deliveryRequest({
      annotations: { 'ripple.io/git-repository': remote },
      diff,
    });
    // The first operation on a repository makes its mirror (a full fetch).
    const [, firstMs] = await time(() =>
      method.checkReady(request, { method: 'git-branch', status: 'pending' }),
    );
    console.log(`first operation (makes the mirror) ${firstMs.toFixed(0)} ms`);
    const rounds = 5;
    const totals: Record<string, number[]> = {};
    for (let round = 0; round < rounds; round++) {
      const [delivery, deliverMs] = await time(() => method.deliver(request));
      const [, readyMs] = await time(() =>
        method.checkReady(request, delivery),
      );
      const [, syncMs] = await time(() => method.sync(request, delivery));
      const [, redeliverMs] = await time(() => method.deliver(request));
      const [, revertMs] = await time(() => method.revert(request, delivery));
      for (const [name, ms] of Object.entries({
        deliver: deliverMs,
        checkReady: readyMs,
        sync: syncMs,
        'deliver again': redeliverMs,
        revert: revertMs,
      })) {
        (totals[name] ??= []).push(ms);
      }
    }
    for (const [name, samples] of Object.entries(totals)) {
      samples.sort((a, b) => a - b);
      console.log(
        `${name.padEnd(14)} median ${samples[Math.floor(rounds / 2)]
          .toFixed(0)
          .padStart(5)} ms  (min ${samples[0].toFixed(0)}, max ${samples[
          rounds - 1
        ].toFixed(0)})`,
      );
    }
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
