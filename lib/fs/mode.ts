/** Permission bits as administrators write them: an octal string ("0750", "750"). */
const OCTAL_MODE = /^[0-7]{3,4}$/;

export function formatMode(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/** The permission bits of an octal mode string, or undefined when it is not one. */
export function parseMode(text: string): number | undefined {
  return OCTAL_MODE.test(text) ? parseInt(text, 8) : undefined;
}

/** For JSON schemas: the same rule as parseMode. */
export const OCTAL_MODE_PATTERN = OCTAL_MODE.source;
