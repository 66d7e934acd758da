import { awaitEndOfTurn } from '../../../src/http/end-of-turn.js';

describe('awaitEndOfTurn', () => {
  it('resolves after the I/O and promise work of the current turn, together with other waiters', async () => {
    const order: string[] = [];
    const first = awaitEndOfTurn().then(() => order.push('first'));
    const second = awaitEndOfTurn().then(() => order.push('second'));
    await Promise.resolve().then(() => order.push('microtask'));
    process.nextTick(() => order.push('tick'));
    await Promise.all([first, second]);
    expect(order).toEqual(['microtask', 'tick', 'first', 'second']);
  });
});
