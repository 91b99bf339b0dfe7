import { EXIT_INTERRUPTED } from './exit-codes';
import { Interrupted, interruptible } from './interrupt';

describe('interruptible', () => {
  let stderr: jest.SpyInstance;
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  it('aborts the signal with Interrupted on Ctrl-C, and stops the progress first', async () => {
    const before = process.listenerCount('SIGINT');
    const order: string[] = [];
    const work = interruptible(
      (signal) =>
        new Promise<never>((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            order.push('aborted');
            reject(signal.reason as Error);
          });
        }),
      () => order.push('progress stopped'),
    );
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    process.emit('SIGINT', 'SIGINT');
    const error = await work.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Interrupted);
    expect((error as Interrupted).message).toBe('interrupted (SIGINT)');
    expect(order).toEqual(['progress stopped', 'aborted']);
    expect(stderr).toHaveBeenCalledWith(
      'gatehouse: SIGINT received, stopping (again to quit at once)\n',
    );
    // The default Ctrl-C (the process ends) is back once the work is over.
    expect(process.listenerCount('SIGINT')).toBe(before);
  });

  it('exits with 130 at once on a second Ctrl-C', async () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    let finish: () => void = () => undefined;
    const work = interruptible(() => new Promise<void>((resolve) => (finish = resolve)));
    process.emit('SIGINT', 'SIGINT');
    expect(exit).not.toHaveBeenCalled();
    process.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledWith(EXIT_INTERRUPTED);
    finish();
    await work;
  });

  it('leaves the result and the listeners alone when no Ctrl-C comes', async () => {
    const before = process.listenerCount('SIGINT');
    await expect(interruptible((signal) => Promise.resolve(signal.aborted))).resolves.toBe(false);
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});
