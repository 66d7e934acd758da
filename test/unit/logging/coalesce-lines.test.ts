import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { coalesceLines } from '../../../src/logging/coalesce-lines.js';

function recordingSink() {
  const writes: string[] = [];
  const flushes: string[] = [];
  return {
    writes,
    flushes,
    sink: {
      write: (data: string) => void writes.push(data),
      flush: (cb: () => void) => {
        flushes.push('flush');
        cb();
      },
      flushSync: () => void flushes.push('flushSync'),
    },
  };
}

describe('coalesceLines', () => {
  it('hands the lines of one round to the sink in one write, in order, after the code that logged them', async () => {
    const { sink, writes } = recordingSink();
    const destination = coalesceLines(sink);
    // Queued before the first line: it runs before the hand-over, so its line joins the same write.
    void Promise.resolve().then(() => destination.write('c\n'));
    destination.write('a\n');
    destination.write('b\n');
    expect(writes).toEqual([]);
    await destination.written();
    expect(writes).toEqual(['a\nb\nc\n']);
    destination.write('d\n');
    await destination.written();
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('written() resolves only once the sink has the line, and at once when nothing is pending', async () => {
    const { sink, writes } = recordingSink();
    const destination = coalesceLines(sink);
    await destination.written();
    destination.write('line\n');
    const seen: string[][] = [];
    await destination.written().then(() => seen.push([...writes]));
    expect(seen).toEqual([['line\n']]);
  });

  it('flushSync and flush hand over what is pending at once, then let the sink flush', () => {
    const { sink, writes, flushes } = recordingSink();
    const destination = coalesceLines(sink);
    destination.write('a\n');
    destination.flushSync();
    expect(writes).toEqual(['a\n']);
    destination.write('b\n');
    let called = false;
    destination.flush(() => {
      called = true;
    });
    expect(writes).toEqual(['a\n', 'b\n']);
    expect(flushes).toEqual(['flushSync', 'flush']);
    expect(called).toBe(true);
  });

  it('through pino: two log calls in a row are one write of two JSON lines', async () => {
    const { sink, writes } = recordingSink();
    const destination = coalesceLines(sink);
    const logger = pino({ base: null, timestamp: false }, destination);
    logger.info({ n: 1 }, 'one');
    logger.info({ n: 2 }, 'two');
    await destination.written();
    expect(writes).toHaveLength(1);
    expect(writes[0]?.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual([
      { level: 30, n: 1, msg: 'one' },
      { level: 30, n: 2, msg: 'two' },
    ]);
  });

  it('stdoutDestination writes what is pending when the process dies in the same tick', async () => {
    // The line is still held back when the exception ends the process: the 'exit' event must write it.
    const module = fileURLToPath(new URL('../../../dist/logging/create-logger.js', import.meta.url));
    const script = `
      import { createLogger, stdoutDestination } from ${JSON.stringify(module)};
      const logger = createLogger('info', stdoutDestination());
      setTimeout(() => { logger.info({ event: 'last words' }, 'before the crash'); throw new Error('crash'); }, 10);`;
    const result = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 }).catch((error: { code: number; stdout: string }) => error);
    expect('code' in result ? result.code : 0).toBe(1);
    expect(result.stdout).toContain('"event":"last words"');
  });
});
