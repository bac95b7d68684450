import { act, renderHook, waitFor } from '@testing-library/react';
import { loadEngine, type ChangeSpec, type RippleEngine } from '@ripple/engine';
import type {
  ConsumerCode,
  DatasetColumn,
} from '@ripple/backstage-plugin-ripple-common';
import { computePreview, PreviewRewriter } from './livePreview';
import { useLivePreview, type LivePreview } from './useLivePreview';

// The real engine computes every preview; the test only holds the first
// computation back (`mockGate`) to make edits arrive while it runs.
let mockGate: Promise<void> | undefined;
jest.mock('./livePreview', () => {
  const actual = jest.requireActual('./livePreview');
  return {
    ...actual,
    computePreview: jest.fn(async (...args: unknown[]) => {
      await mockGate;
      return actual.computePreview(...args);
    }),
  };
});
const computed = computePreview as jest.MockedFunction<typeof computePreview>;

const code: ConsumerCode[] = [
  {
    consumerRef: 'component:default/report',
    discoveredBy: 'code',
    files: [
      {
        path: 'a.sql',
        language: 'sql',
        content: 'SELECT o.amount, o.id FROM proj.ds.orders AS o;\n',
      },
    ],
  },
];
// Stable, as the form's props are: a new array would be a new preview.
const columns: DatasetColumn[] = [];
const rename = (to: string): ChangeSpec => ({
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to }],
});

function hold() {
  let release = () => {};
  mockGate = new Promise<void>(resolve => (release = resolve));
  return release;
}

function renderPreview(engine: RippleEngine, change?: ChangeSpec) {
  return renderHook(
    (props: { change?: ChangeSpec }) =>
      useLivePreview(engine, props.change, code, columns),
    { initialProps: { change } },
  );
}

const diffOf = (preview?: LivePreview) =>
  preview && 'consumers' in preview ? preview.consumers[0].diff : undefined;

describe('useLivePreview', () => {
  let engine: RippleEngine;
  beforeAll(async () => {
    engine = await loadEngine();
  });
  beforeEach(() => {
    mockGate = undefined;
    computed.mockClear();
  });

  it('previews a change, numbering the edits', async () => {
    const { result, rerender } = renderPreview(engine, rename('amount_usd'));
    await waitFor(() => expect(result.current).toMatchObject({ edit: 1 }));
    expect(diffOf(result.current)).toContain('+SELECT o.amount_usd AS amount');

    rerender({ change: rename('amount_eur') });
    await waitFor(() => expect(result.current).toMatchObject({ edit: 2 }));
    expect(diffOf(result.current)).toContain('+SELECT o.amount_eur AS amount');
  });

  it('runs one preview at a time, then only the latest edit made meanwhile, and aborts the outdated one', async () => {
    const release = hold();
    const { result, rerender } = renderPreview(engine, rename('a1'));
    rerender({ change: rename('a2') });
    rerender({ change: rename('a3') });
    // The first is still running: the others wait, and a2 is already outdated.
    expect(computed).toHaveBeenCalledTimes(1);
    const firstSignal = computed.mock.calls[0][7];
    expect(firstSignal?.aborted).toBe(true);

    release();
    await waitFor(() => expect(result.current).toMatchObject({ edit: 3 }));
    expect(computed.mock.calls.map(call => call[1])).toEqual([
      rename('a1'),
      rename('a3'),
    ]);
    expect(diffOf(result.current)).toContain('+SELECT o.a3 AS amount');
  });

  it('shows nothing once the change is incomplete, not even the result of the preview then running', async () => {
    const release = hold();
    const { result, rerender } = renderPreview(engine, rename('a1'));
    rerender({ change: undefined });
    release();
    await act(async () => {
      await computed.mock.results[0].value;
    });
    expect(result.current).toBeUndefined();
  });

  it("gives the engine's refusal of a change as its message", async () => {
    const { result } = renderPreview(engine, rename('amount.usd'));
    await waitFor(() => expect(result.current).toHaveProperty('error'));
    expect(result.current).toEqual({
      error: expect.stringContaining('changes[0].to: must be a column name'),
    });
  });

  it('closes its rewriter when the form goes', async () => {
    const close = jest.spyOn(PreviewRewriter.prototype, 'close');
    try {
      const { result, unmount } = renderPreview(engine, rename('amount_usd'));
      await waitFor(() => expect(result.current).toMatchObject({ edit: 1 }));
      expect(close).not.toHaveBeenCalled();
      unmount();
      expect(close).toHaveBeenCalledTimes(1);
    } finally {
      close.mockRestore();
    }
  });
});
