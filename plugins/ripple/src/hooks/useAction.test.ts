import { act, renderHook } from '@testing-library/react';
import { useAction } from './useAction';

function deferred() {
  let resolve = () => {};
  let reject = (_: unknown) => {};
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

describe('useAction', () => {
  it('marks the action pending by its key until it ends, then runs onSettled', async () => {
    const onSettled = jest.fn();
    const { result } = renderHook(() =>
      useAction<'approve' | 'reject'>({ onSettled }),
    );
    const request = deferred();
    let running: Promise<void> = Promise.resolve();
    act(() => {
      running = result.current.run('approve', () => request.promise);
    });
    expect(result.current.pending).toBe('approve');
    expect(onSettled).not.toHaveBeenCalled();

    await act(async () => {
      request.resolve();
      await running;
    });
    expect(result.current.pending).toBeUndefined();
    expect(result.current.error).toBeUndefined();
    expect(onSettled).toHaveBeenCalledTimes(1);
  });

  it('keeps the error instead of throwing it, tells onError, and clears it on the next run', async () => {
    const onError = jest.fn();
    const onSettled = jest.fn();
    const { result } = renderHook(() => useAction({ onError, onSettled }));
    const refused = new Error('refused');
    await act(() => result.current.run(true, () => Promise.reject(refused)));
    expect(result.current.error).toBe(refused);
    expect(result.current.pending).toBeUndefined();
    expect(onError).toHaveBeenCalledWith(refused);
    expect(onSettled).toHaveBeenCalledTimes(1);

    const request = deferred();
    let running: Promise<void> = Promise.resolve();
    act(() => {
      running = result.current.run(true, () => request.promise);
    });
    expect(result.current.error).toBeUndefined();
    await act(async () => {
      request.resolve();
      await running;
    });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onSettled).toHaveBeenCalledTimes(2);
  });

  it('calls the callbacks of the latest render', async () => {
    const first = jest.fn();
    const second = jest.fn();
    const { result, rerender } = renderHook(
      ({ onSettled }) => useAction({ onSettled }),
      { initialProps: { onSettled: first } },
    );
    const request = deferred();
    let running: Promise<void> = Promise.resolve();
    act(() => {
      running = result.current.run(true, () => request.promise);
    });
    rerender({ onSettled: second });
    await act(async () => {
      request.resolve();
      await running;
    });
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledTimes(1);
  });
});
