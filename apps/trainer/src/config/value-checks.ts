import { ConfigError } from './config-error.js';

/** Throws a ConfigError naming `option` unless `value` is an integer in [min, max]. */
export function requireInteger(
  option: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new ConfigError(option, `expected an integer ${range}, got ${String(value)}`);
  }
}

/** Throws a ConfigError naming `option` unless `value` is a finite number within `bounds`. */
export function requireRange(
  option: string,
  value: number,
  bounds: { min?: number; above?: number; max?: number; below?: number },
): void {
  const ok =
    Number.isFinite(value) &&
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.above === undefined || value > bounds.above) &&
    (bounds.max === undefined || value <= bounds.max) &&
    (bounds.below === undefined || value < bounds.below);
  if (!ok) {
    const low =
      bounds.min !== undefined
        ? `[${bounds.min}`
        : bounds.above !== undefined
          ? `(${bounds.above}`
          : '(-inf';
    const high =
      bounds.max !== undefined
        ? `${bounds.max}]`
        : bounds.below !== undefined
          ? `${bounds.below})`
          : 'inf)';
    throw new ConfigError(option, `expected a number in ${low}, ${high}, got ${String(value)}`);
  }
}
