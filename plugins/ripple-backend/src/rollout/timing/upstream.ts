import type { Entity } from '@backstage/catalog-model';
import type { LineageStore } from '../../database/LineageStore';
import { jobsOfAnnotation } from '../../lineage/naming';
import { dependsOn } from '../plan';

/**
 * Upstream first (docs/rollout.md, "Upstream first"): which consumers of a
 * rollout read another's output, from the catalog's `dependsOn` and from
 * the OpenLineage jobs Ripple knows (a job of one consumer writes a dataset
 * a job of the other reads), and which of those edges the rollout honours.
 */

/** A consumer of the rollout, where the plan placed it. */
export type PlacedConsumer = {
  consumerRef: string;
  wave: number;
  position: number;
  entity?: Entity;
};

/** What the order found besides its edges: each recorded once on the timeline. */
export type UpstreamWarning =
  | {
      kind: 'upstream-cycle';
      /** The consumers of the cycle, in plan order. */
      consumers: string[];
      /** The edges dropped to break it (downstream → upstream). */
      ignored: [string, string][];
    }
  | {
      kind: 'upstream-order';
      consumerRef: string;
      upstreamRef: string;
    };

/**
 * For each consumer, the consumers it waits for: those it reads from,
 * except where the wave order breaks a cycle (within a cycle a consumer
 * waits only for those placed before it) and where an upstream sits in a
 * later wave (it would never be delivered first: the wave waits for its
 * downstream). Both are returned as warnings.
 */
export async function upstreamOrder(
  consumers: PlacedConsumer[],
  lineage?: Pick<LineageStore, 'datasetsOf'>,
): Promise<{ upstreams: Map<string, string[]>; warnings: UpstreamWarning[] }> {
  const edges = await readEdges(consumers, lineage);
  const placed = new Map(consumers.map(c => [c.consumerRef, c]));
  const before = (a: string, b: string) => {
    const x = placed.get(a)!;
    const y = placed.get(b)!;
    return x.wave - y.wave || x.position - y.position;
  };
  const components = stronglyConnected(
    consumers.map(c => c.consumerRef),
    edges,
  );
  const componentOf = new Map<string, number>();
  components.forEach((members, i) =>
    members.forEach(ref => componentOf.set(ref, i)),
  );
  const upstreams = new Map<string, string[]>();
  const warnings: UpstreamWarning[] = [];
  const ignoredByComponent = new Map<number, [string, string][]>();
  for (const [downstream, ups] of edges) {
    const kept: string[] = [];
    for (const upstream of ups) {
      // Only nodes of a cycle have a component.
      const component = componentOf.get(downstream);
      if (component !== undefined && component === componentOf.get(upstream)) {
        // A cycle: the wave order decides who goes first.
        if (before(upstream, downstream) < 0) kept.push(upstream);
        else {
          const ignored = ignoredByComponent.get(component) ?? [];
          ignored.push([downstream, upstream]);
          ignoredByComponent.set(component, ignored);
        }
      } else if (placed.get(upstream)!.wave > placed.get(downstream)!.wave) {
        warnings.push({
          kind: 'upstream-order',
          consumerRef: downstream,
          upstreamRef: upstream,
        });
      } else {
        kept.push(upstream);
      }
    }
    if (kept.length) upstreams.set(downstream, kept.sort(before));
  }
  for (const [component, ignored] of ignoredByComponent) {
    warnings.push({
      kind: 'upstream-cycle',
      consumers: [...components[component]].sort(before),
      ignored: ignored.sort((a, b) => before(a[0], b[0]) || before(a[1], b[1])),
    });
  }
  return { upstreams, warnings };
}

/** Each consumer's upstream consumers in the rollout (downstream → upstreams). */
async function readEdges(
  consumers: PlacedConsumer[],
  lineage?: Pick<LineageStore, 'datasetsOf'>,
): Promise<Map<string, Set<string>>> {
  const refs = new Set(consumers.map(c => c.consumerRef));
  const edges = new Map<string, Set<string>>();
  const add = (downstream: string, upstream: string) => {
    if (downstream === upstream || !refs.has(upstream)) return;
    const ups = edges.get(downstream) ?? new Set<string>();
    ups.add(upstream);
    edges.set(downstream, ups);
  };
  for (const { consumerRef, entity } of consumers) {
    for (const upstream of dependsOn(entity)) add(consumerRef, upstream);
  }
  if (!lineage) return edges;
  // The jobs each consumer's `openlineage.io/job` annotation names (a bad
  // value names none here: the health provider logs it).
  const jobOwner = new Map<string, string>();
  for (const { consumerRef, entity } of consumers) {
    if (!entity) continue;
    for (const job of jobsOfAnnotation(entity).jobs) {
      jobOwner.set(key(job), consumerRef);
    }
  }
  if (!jobOwner.size) return edges;
  const rows = await lineage.datasetsOf(
    [...jobOwner.keys()].map(k => JSON.parse(k)),
  );
  const writers = new Map<string, Set<string>>();
  for (const row of rows) {
    if (row.direction !== 'output') continue;
    const owner = jobOwner.get(key(row.job))!;
    const set = writers.get(key(row.dataset)) ?? new Set<string>();
    set.add(owner);
    writers.set(key(row.dataset), set);
  }
  for (const row of rows) {
    if (row.direction !== 'input') continue;
    const reader = jobOwner.get(key(row.job))!;
    for (const writer of writers.get(key(row.dataset)) ?? []) {
      add(reader, writer);
    }
  }
  return edges;
}

function key(name: { namespace: string; name: string }): string {
  return JSON.stringify({ namespace: name.namespace, name: name.name });
}

/**
 * Tarjan's strongly connected components of size two or more (a cycle),
 * iteratively: a rollout may have thousands of consumers.
 */
function stronglyConnected(
  nodes: string[],
  edges: Map<string, Set<string>>,
): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result: string[][] = [];
  const work: { node: string; next: string[]; i: number }[] = [];
  const open = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    work.push({ node, next: [...(edges.get(node) ?? [])], i: 0 });
  };
  for (const start of nodes) {
    if (index.has(start)) continue;
    open(start);
    while (work.length) {
      const frame = work[work.length - 1];
      if (frame.i < frame.next.length) {
        const to = frame.next[frame.i++];
        if (!index.has(to)) open(to);
        else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const members: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          members.push(member);
        } while (member !== frame.node);
        if (members.length > 1) result.push(members);
      }
    }
  }
  return result;
}
