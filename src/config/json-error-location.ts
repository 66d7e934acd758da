/**
 * Where a JSON text first breaks, as "line L, column C". JSON.parse's own message quotes the input
 * (which may hold key material or key hashes) and gives no position for many errors, so the text is
 * scanned here, and nothing of it is ever returned.
 */

/**
 * Returns "line L, column C" (1-based) of the first syntax error of `text`, for a text JSON.parse refused.
 *
 * @example
 * jsonErrorLocation('[\n  {"id": }\n]'); // 'line 2, column 10'
 */
export function jsonErrorLocation(text: string): string {
  const offset = firstErrorOffset(text) ?? text.length;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `line ${line}, column ${column}`;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** The offset of the first character that breaks RFC 8259's grammar; `undefined` when none does. */
function firstErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxAt(i);
  };
  const skipSpace = () => {
    while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r') i += 1;
  };
  const expect = (char: string) => {
    skipSpace();
    if (text[i] !== char) fail();
    i += 1;
  };
  const string = () => {
    i += 1;
    while (i < text.length) {
      const char = text[i] as string;
      if (char === '"') {
        i += 1;
        return;
      }
      if (char === '\\') {
        const escape = text[i + 1];
        if (escape !== undefined && '"\\/bfnrt'.includes(escape)) i += 2;
        else if (escape === 'u' && HEX4.test(text.slice(i + 2, i + 6))) i += 6;
        else {
          i += 1;
          fail();
        }
        continue;
      }
      if (char.charCodeAt(0) < 0x20) fail();
      i += 1;
    }
    fail();
  };
  const value = (): void => {
    skipSpace();
    const char = text[i];
    if (char === '{') {
      i += 1;
      skipSpace();
      if (text[i] === '}') {
        i += 1;
        return;
      }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') fail();
        string();
        expect(':');
        value();
        skipSpace();
        if (text[i] === ',') i += 1;
        else return expect('}');
      }
    }
    if (char === '[') {
      i += 1;
      skipSpace();
      if (text[i] === ']') {
        i += 1;
        return;
      }
      for (;;) {
        value();
        skipSpace();
        if (text[i] === ',') i += 1;
        else return expect(']');
      }
    }
    if (char === '"') return string();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (number === null) fail();
    i += (number as RegExpExecArray)[0].length;
  };
  try {
    value();
    skipSpace();
    if (i < text.length) fail();
    return undefined;
  } catch (error) {
    if (error instanceof SyntaxAt) return error.offset;
    // Nesting deeper than the stack: no position to give.
    return undefined;
  }
}

class SyntaxAt {
  constructor(readonly offset: number) {}
}
