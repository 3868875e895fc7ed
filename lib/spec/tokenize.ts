/**
 * Splitting an `agg/new_device` spec into tokens, and the reverse (quoting a
 * token so that it splits back unchanged).
 *
 * Rules, modelled on a shell word (and a superset of the kernel's next_arg()):
 * - Tokens are separated by runs of ASCII whitespace (space, \t, \n, \v, \f,
 *   \r — C's isspace()), so the newline that `echo` appends is a separator.
 * - A double quote toggles "quoted" mode and is itself dropped. Inside quotes
 *   whitespace is part of the token. Quotes may open and close anywhere in a
 *   token: `a"b c"d` is the single token `ab cd`.
 * - There are no escapes: a backslash is an ordinary character, and a token
 *   cannot contain a literal double quote (neither can the kernel's).
 *
 * Errors (all EINVAL): a quote left open at the end of the input; an empty
 * token (`""`), because no chip key or line name is empty and an unnamed
 * line must never be matched by accident; an input with no token at all.
 */
import { GpioAggError } from '../errors.js';
import { looksLikeOffsetList } from './offsets.js';

export interface Token {
  /** The token with its quotes removed. */
  readonly text: string;
  /**
   * Whether any part of the token was inside quotes. A quoted token is never
   * read as an offset list, which is how a line whose name starts with a
   * digit can still be selected: `LED0 "5V_EN"`.
   */
  readonly quoted: boolean;
}

const QUOTE = '"';

/** C isspace(): the separators the kernel's own parser knows. */
function isSeparator(char: string): boolean {
  return char === ' ' || char === '\t' || char === '\n' || char === '\v' || char === '\f' || char === '\r';
}

export function tokenize(spec: string): Token[] {
  const tokens: Token[] = [];
  let text = '';
  let inToken = false;
  let quoted = false;
  let openQuoteAt = -1;

  const finishToken = (): void => {
    if (text === '') {
      throw new GpioAggError('EINVAL', 'empty quoted token ("") in spec');
    }
    tokens.push({ text, quoted });
    text = '';
    inToken = false;
    quoted = false;
  };

  for (let position = 0; position < spec.length; position++) {
    const char = spec.charAt(position);
    if (char === QUOTE) {
      inToken = true;
      quoted = true;
      openQuoteAt = openQuoteAt === -1 ? position : -1;
    } else if (openQuoteAt === -1 && isSeparator(char)) {
      if (inToken) finishToken();
    } else {
      inToken = true;
      text += char;
    }
  }

  if (openQuoteAt !== -1) {
    throw new GpioAggError(
      'EINVAL',
      `unbalanced quote in spec: the quote at character ${openQuoteAt + 1} is never closed`,
    );
  }
  if (inToken) finishToken();
  if (tokens.length === 0) {
    throw new GpioAggError('EINVAL', 'empty spec: expected a chip and offsets, or line names');
  }
  return tokens;
}

/**
 * The text that tokenize() reads back as exactly `text`, as a chip key or
 * line name: unchanged when it needs no quoting, otherwise wrapped in double
 * quotes — when it contains whitespace, or starts with a digit and would
 * otherwise be read as an offset list. Throws EINVAL for what no spec can
 * express (an empty token, a literal double quote).
 */
export function quoteToken(text: string): string {
  if (text === '' || text.includes(QUOTE)) {
    throw new GpioAggError('EINVAL', `"${text}" cannot be written as a spec token`);
  }
  const needsQuotes = looksLikeOffsetList(text) || [...text].some(isSeparator);
  return needsQuotes ? `${QUOTE}${text}${QUOTE}` : text;
}
