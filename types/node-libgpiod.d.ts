// The part of node-libgpiod 0.5.3 (libgpiod 1.6) that gpio-aggfs uses, typed as it behaves at run
// time. Declared here because node-libgpiod is an optional dependency: it cannot be built against
// libgpiod 2.x (Debian 13 and later), and the build must not depend on its presence. Loaded only
// when the libgpiod 1.6 backend is chosen (lib/gpio/load-node-libgpiod.ts).
declare module 'node-libgpiod' {
  /** libgpiod's version string, e.g. "1.6.3". */
  export const version: string;
  /** Names of the GPIO chips present, e.g. ["gpiochip0"]. */
  export function getChipNames(): string[];

  export class Chip {
    constructor(identifier: number | string);
    readonly name: string;
    readonly label: string;
    readonly numberOfLines: number;
    getLine(offset: number): Line;
  }

  export class Line {
    static readonly Direction: { readonly INPUT: number; readonly OUTPUT: number };
    static readonly ActiveState: { readonly HIGH: number; readonly LOW: number };
    static readonly Bias: {
      readonly AS_IS: number; readonly DISABLE: number; readonly PULL_UP: number; readonly PULL_DOWN: number;
    };
    static readonly RequestType: {
      readonly Direction: { readonly AS_IS: number; readonly INPUT: number; readonly OUTPUT: number };
      readonly Event: { readonly FALLING_EDGE: number; readonly RISING_EDGE: number; readonly BOTH_EDGES: number };
    };
    static readonly RequestFlags: {
      readonly OPEN_DRAIN: number; readonly OPEN_SOURCE: number; readonly ACTIVE_LOW: number;
      readonly BIAS_DISABLE: number; readonly BIAS_PULL_DOWN: number; readonly BIAS_PULL_UP: number;
    };
    constructor(chip: Chip, identifier: string | number);
    readonly offset: number;
    readonly name: string | undefined;
    readonly consumer: string | undefined;
    readonly direction: number;
    readonly activeState: number;
    readonly bias: number;
    readonly used: boolean;
    readonly openDrain: boolean;
    readonly openSource: boolean;
    update(): void;
    getValue(): number;
    setValue(value: number): void;
    lineRequest(config: { consumer: string; requestType: number; flags: number }, defaultValue?: number): void;
    release(): void;
  }

  export class Bulk {
    constructor(chip: Chip, lines?: number[]);
    updateConfig(direction: number, flags: number, values?: number[]): void;
  }

  const gpiod: {
    readonly version: typeof version;
    readonly getChipNames: typeof getChipNames;
    readonly Chip: typeof Chip;
    readonly Line: typeof Line;
    readonly Bulk: typeof Bulk;
  };
  export default gpiod;
}
