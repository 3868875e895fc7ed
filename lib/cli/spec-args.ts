/**
 * The spec line for the words after `new MOUNTPOINT`. One word is the whole
 * spec, as it would be written to agg/new_device (`new MNT "gpiochip0 1-2"`;
 * a line name with spaces is quoted inside it: `new MNT '"status led"'`).
 * Several words are joined, each quoted when it contains whitespace, so that
 * `new MNT gpiochip0 1-2 "status led"` names the line "status led".
 */
export function specFromWords(words: readonly (string | number)[]): string {
  if (words.length === 1) return String(words[0]);
  return words
    .map(String)
    .map((word) => (/\s/.test(word) ? `"${word}"` : word))
    .join(' ');
}
