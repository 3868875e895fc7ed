/**
 * From spec text to groups: which tokens are chip keys with an offset list,
 * and which are line names. No chips are consulted here; resolve.ts does
 * that.
 *
 * Tokens are read left to right. A token followed by an offset-list token is
 * a chip key, and the two form one chip group. Any other token is a line
 * name — also the last token, which the kernel drops and we don't.
 *
 * An offset-list token is an unquoted token starting with a decimal digit
 * (see looksLikeOffsetList). Such a token must be a well-formed offset list,
 * or the whole spec fails with EINVAL: `gpiochip0 0x` is a typo to report,
 * not a request for two lines named "gpiochip0" and "0x". Quoting opts out,
 * for line names starting with a digit: `LED0 "5V_EN"` is two line names.
 */
import { parseOffsetList, looksLikeOffsetList } from './offsets.js';
import { tokenize, type Token } from './tokenize.js';

export interface ChipGroup {
  readonly kind: 'chip';
  /** Chip name, label or device path, as written. */
  readonly key: string;
  /** Ascending and de-duplicated. */
  readonly offsets: readonly number[];
}

export interface NameGroup {
  readonly kind: 'name';
  readonly name: string;
}

export type SpecGroup = ChipGroup | NameGroup;

function isOffsetListToken(token: Token | undefined): token is Token {
  return token !== undefined && !token.quoted && looksLikeOffsetList(token.text);
}

/** Parse spec text into groups, in order. EINVAL for a malformed spec. */
export function parseSpec(spec: string): SpecGroup[] {
  const tokens = tokenize(spec);
  const groups: SpecGroup[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    const next = tokens.at(index + 1);
    if (isOffsetListToken(next)) {
      groups.push({ kind: 'chip', key: token.text, offsets: parseOffsetList(next.text) });
      index++;
    } else {
      groups.push({ kind: 'name', name: token.text });
    }
  }
  return groups;
}
