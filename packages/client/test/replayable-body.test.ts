import { isReplayable } from '../src/replayable-body.js';

const URL_ = 'http://127.0.0.1/x';

describe('isReplayable', () => {
  it.each([
    ['no body', undefined],
    ['null', null],
    ['a string', '{"a":1}'],
    ['URLSearchParams', new URLSearchParams('a=1')],
    ['an ArrayBuffer', new ArrayBuffer(4)],
    ['a Uint8Array', new Uint8Array(4)],
    ['a DataView', new DataView(new ArrayBuffer(4))],
    ['a Blob', new Blob(['x'])],
    ['FormData', new FormData()],
  ])('accepts %s', (_, body) => {
    expect(isReplayable(URL_, body)).toBe(true);
  });

  it.each([
    ['a ReadableStream', new ReadableStream()],
    ['an async iterable', (async function* () {})()],
  ])('refuses %s', (_, body) => {
    expect(isReplayable(URL_, body)).toBe(false);
  });

  it('refuses a Request input with its own body unless init.body replaces it', () => {
    const request = new Request(URL_, { method: 'POST', body: 'x' });
    expect(isReplayable(request, undefined)).toBe(false);
    expect(isReplayable(request, 'replacement')).toBe(true);
    expect(isReplayable(new Request(URL_), undefined)).toBe(true);
  });
});
