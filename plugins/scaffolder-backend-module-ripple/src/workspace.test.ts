import { createMockDirectory } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import {
  assertWritableInPlace,
  readConsumerFiles,
  resolveInWorkspace,
} from './workspace';

// Linear code takes milliseconds on these inputs and the old backtracking
// regular expressions hours; the bound is far from both, so a loaded machine
// cannot make it fail (speed itself is measured in benchmarks, not here).
const LINEAR_BOUND_MS = 30_000;

describe('the task workspace', () => {
  const workspace = createMockDirectory();
  const outside = createMockDirectory();

  beforeEach(() => {
    workspace.setContent({ 'code/models/a.sql': 'SELECT 1\n' });
    outside.setContent({ 'models/b.sql': 'SELECT 2\n', 'c.sql': 'SELECT 3\n' });
  });

  it('refuses, by real path, a link out of the workspace as a path, a folder or a glob, naming where it leads', async () => {
    fs.symlinkSync(outside.path, workspace.resolve('code/escape'));
    const real = fs.realpathSync(outside.path);
    expect(() =>
      resolveInWorkspace(workspace.path, 'code/escape/models', 'sourcePath'),
    ).toThrow(
      `sourcePath: 'code/escape/models' is outside the task workspace (through a link, it is ${real}/models); paths must stay inside it`,
    );
    await expect(
      readConsumerFiles(workspace.resolve('code'), ['escape/**/*.sql']),
    ).rejects.toThrow(
      `paths[0]: 'escape/**/*.sql' is outside the task workspace (through a link, it is ${real}); paths must stay inside it`,
    );
    await expect(
      readConsumerFiles(workspace.resolve('code'), ['escape/c.sql']),
    ).rejects.toThrow(`(through a link, it is ${real}/c.sql)`);
    // Without a link the message is the plain one.
    expect(() =>
      resolveInWorkspace(workspace.path, '../x', 'outputDir'),
    ).toThrow(
      "outputDir: '../x' is outside the task workspace; paths must stay inside it",
    );
    // Walked, the link is not followed.
    expect(
      (await readConsumerFiles(workspace.resolve('code'), ['.'])).map(
        f => f.path,
      ),
    ).toEqual(['models/a.sql']);
  });

  it('refuses to write in place through a link swapped in after the files were read', async () => {
    const root = workspace.resolve('code');
    await expect(
      assertWritableInPlace(root, ['models/a.sql']),
    ).resolves.toBeUndefined();

    // The file itself became a link.
    fs.rmSync(workspace.resolve('code/models/a.sql'));
    fs.symlinkSync(
      `${outside.path}/c.sql`,
      workspace.resolve('code/models/a.sql'),
    );
    await expect(assertWritableInPlace(root, ['models/a.sql'])).rejects.toThrow(
      'models/a.sql: is no longer a regular file in the workspace (a link?); nothing was written',
    );

    // Its folder became a link.
    fs.rmSync(workspace.resolve('code/models'), { recursive: true });
    fs.symlinkSync(`${outside.path}/models`, workspace.resolve('code/models'));
    fs.writeFileSync(`${outside.path}/models/a.sql`, 'SELECT 4\n');
    await expect(assertWritableInPlace(root, ['models/a.sql'])).rejects.toThrow(
      `paths: 'models/a.sql' is outside the task workspace (through a link, it is ${fs.realpathSync(
        outside.path,
      )}/models)`,
    );
  });

  it('matches a hostile glob in linear time (minimatch did not finish on a*x*x*x*x*x*xb against a 200-character name)', async () => {
    workspace.setContent({
      [`code/models/a${'x'.repeat(200)}.sql`]: 'SELECT 1\n',
      [`code/models/a${'x'.repeat(6)}b.sql`]: 'SELECT 2\n',
    });
    const start = performance.now();
    const files = await readConsumerFiles(workspace.resolve('code'), [
      `models/a${'*x'.repeat(6)}b.sql`,
    ]);
    expect(performance.now() - start).toBeLessThan(LINEAR_BOUND_MS);
    expect(files.map(f => f.path)).toEqual([`models/a${'x'.repeat(6)}b.sql`]);
    await expect(
      readConsumerFiles(workspace.resolve('code'), ['models/*(a|b).sql']),
    ).rejects.toThrow(
      'paths[0]: glob "models/*(a|b).sql" uses an extended glob (@(...), +(...), !(...)), which Ripple does not support',
    );
  });
});
