import { GpioAggError } from '../errors.js';

/** Where a JSON text stops being valid, and what was expected there. */
export interface JsonSyntaxError {
  /** Index into the text (UTF-16 code units). */
  readonly index: number;
  readonly expected: string;
}

export interface TextPosition {
  readonly line: number;
  readonly column: number;
  readonly byteOffset: number;
}

/**
 * Parse JSON from a file. A syntax error names the file and the position
 * (line, column, byte offset) and what was expected there, never the text
 * itself: V8's own messages quote the input, and the input may be a file
 * the reader must not learn (a secret behind a planted symlink).
 */
export function parseJsonFile(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const error = findJsonSyntaxError(text);
    if (error === undefined) throw new GpioAggError('EINVAL', `${file}: the ${what} is not valid JSON`);
    const { line, column, byteOffset } = textPosition(text, error.index);
    throw new GpioAggError('EINVAL', `${file}: the ${what} is not valid JSON: at line ${line}, column ${column}`
      + ` (byte ${byteOffset}): expected ${error.expected}`);
  }
}

/** Line and column (both from 1; columns count characters) and the UTF-8 byte offset (from 0). */
export function textPosition(text: string, index: number): TextPosition {
  const before = text.slice(0, index);
  const lineStart = before.lastIndexOf('\n') + 1;
  return {
    line: before.split('\n').length,
    column: [...before.slice(lineStart)].length + 1,
    byteOffset: Buffer.byteLength(before),
  };
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;

/**
 * The first syntax error of a JSON text (RFC 8259, as JSON.parse reads it),
 * or undefined when it is valid. Only scans; builds no values.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  class Stop { constructor(readonly error: JsonSyntaxError) {} }
  const fail = (expected: string): never => { throw new Stop({ index: i, expected }); };
  const skipWhitespace = (): void => { while (i < text.length && WHITESPACE.has(text[i] as string)) i += 1; };
  const literal = (word: string): void => {
    for (const char of word) {
      if (text[i] !== char) fail(`"${word}"`);
      i += 1;
    }
  };
  const string = (): void => {
    i += 1;
    for (;;) {
      if (i >= text.length) fail('a closing quote');
      const char = text.charCodeAt(i);
      if (char === 0x22) { i += 1; return; }
      if (char < 0x20) fail('a control character to be escaped');
      if (char === 0x5c) {
        i += 1;
        const escape = text[i];
        if (escape === 'u') {
          HEX4.lastIndex = i + 1;
          if (!HEX4.test(text)) { i += 1; fail('four hexadecimal digits'); }
          i += 5;
        } else if (escape !== undefined && ESCAPES.has(escape)) {
          i += 1;
        } else {
          fail('an escape sequence');
        }
      } else {
        i += 1;
      }
    }
  };
  const value = (depth: number): void => {
    if (depth > 10000) fail('less deeply nested values');
    skipWhitespace();
    const char = text[i];
    if (char === '{') {
      i += 1;
      skipWhitespace();
      if (text[i] === '}') { i += 1; return; }
      for (;;) {
        skipWhitespace();
        if (text[i] !== '"') fail('a property name in double quotes');
        string();
        skipWhitespace();
        if (text[i] !== ':') fail("':'");
        i += 1;
        value(depth + 1);
        skipWhitespace();
        if (text[i] === '}') { i += 1; return; }
        if (text[i] !== ',') fail("',' or '}'");
        i += 1;
      }
    }
    if (char === '[') {
      i += 1;
      skipWhitespace();
      if (text[i] === ']') { i += 1; return; }
      for (;;) {
        value(depth + 1);
        skipWhitespace();
        if (text[i] === ']') { i += 1; return; }
        if (text[i] !== ',') fail("',' or ']'");
        i += 1;
      }
    }
    if (char === '"') return string();
    if (char === 't') return literal('true');
    if (char === 'f') return literal('false');
    if (char === 'n') return literal('null');
    NUMBER.lastIndex = i;
    if (char !== undefined && /[-0-9]/.test(char) && NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    fail('a value');
  };
  try {
    value(0);
    skipWhitespace();
    if (i < text.length) fail('the end of the text');
    return undefined;
  } catch (err) {
    if (err instanceof Stop) return err.error;
    throw err;
  }
}
