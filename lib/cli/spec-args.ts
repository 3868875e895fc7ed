/** Join CLI words into a spec line, quoting a word that contains whitespace (a line name like "status led"). */
export function specFromWords(words: readonly (string | number)[]): string {
  return words
    .map(String)
    .map((word) => (/\s/.test(word) ? `"${word}"` : word))
    .join(' ');
}
