import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ChipInfo } from '../../gpio/backend.js';

/**
 * Where `device` links point. `gpiochipB/device` is the chip's parent device
 * and `gpioN/device` the GPIO device itself, as in the kernel: real chips
 * link into /sys; simulated chips to their directory under `.sim/`, relative
 * to the link (`depth` directories below the mount root).
 */
export interface DeviceLinks {
  chipDevice(chip: ChipInfo, depth: number): string;
  lineDevice(chip: ChipInfo, depth: number): string;
}

export function simDeviceLinks(): DeviceLinks {
  const target = (chip: ChipInfo, depth: number): string => `${'../'.repeat(depth)}.sim/${chip.name}`;
  return { chipDevice: target, lineDevice: target };
}

/** Links to /sys/bus/gpio/devices/gpiochipN resolved, and to its parent. */
export function kernelDeviceLinks(): DeviceLinks {
  const device = (chip: ChipInfo): string => {
    const path = `/sys/bus/gpio/devices/${chip.name}`;
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  };
  return {
    chipDevice: (chip) => dirname(device(chip)),
    lineDevice: (chip) => device(chip),
  };
}
