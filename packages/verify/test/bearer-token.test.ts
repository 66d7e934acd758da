import { readBearerToken } from '../src/bearer-token.js';

test.each([
  ['Bearer abc.def.ghi', 'abc.def.ghi'],
  ['bearer abc.def.ghi', 'abc.def.ghi'],
  ['BEARER   abc.def.ghi  ', 'abc.def.ghi'],
  ['Bearer', ''],
  ['Bearer a b', 'a b'],
  ['Basic dXNlcjpwYXNz', undefined],
  ['Bearerabc', undefined],
  ['', undefined],
  [undefined, undefined],
])('reads %j as %j', (header, token) => {
  expect(readBearerToken(header)).toBe(token);
});
