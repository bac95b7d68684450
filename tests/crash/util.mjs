// What the crash tests share: PostgreSQL, the backend's config and the
// dataset's owners, arguments, a seeded random, a free port.
import net from 'node:net';

/** The PostgreSQL the test command starts (scripts/test.sh). */
export const PG = {
  host: '127.0.0.1',
  port: 5432,
  user: 'postgres',
  password: process.env.RIPPLE_CRASH_PG_PASSWORD ?? 'ripple',
};

/** The start of a crash test backend's config: its address and its database. */
export function backendConfig({ writer, port, database }) {
  return `# Written by tests/crash/${writer} for one run.
app:
  baseUrl: http://127.0.0.1:${port}
backend:
  baseUrl: http://127.0.0.1:${port}
  listen:
    host: 127.0.0.1
    port: ${port}
  database:
    client: pg
    pluginDivisionMode: schema
    connection:
      host: ${PG.host}
      port: ${PG.port}
      user: ${PG.user}
      password: ${PG.password}
      database: ${database}
`;
}

/** The guest, who signs in, and the group that owns the datasets. */
export const OWNER_DOCS = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: data-platform
spec:
  type: team
  children: []
  members: [guest]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: guest
spec:
  memberOf: [data-platform]`;

export function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unknown argument ${argv[i]}`);
    if (m[2] !== undefined) out[m[1]] = m[2];
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--'))
      out[m[1]] = argv[++i];
    else out[m[1]] = true;
  }
  return out;
}

/** mulberry32: small, seeded, the same on every machine. */
export function random(s) {
  let a = s >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (lo, hi) => Math.floor(lo + next() * (hi - lo)),
    pick: list => list[Math.floor(next() * list.length)],
    shuffle(list) {
      const copy = [...list];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [copy[i], copy[j]] = [copy[j], copy[i]];
      }
      return copy;
    },
  };
}

export function freePort() {
  return new Promise(resolve => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
