/*
 * Reading the merged configuration as plain JSON (the adjustments in
 * rootConfig.ts work on it before Backstage's Config wraps it). Values from
 * `${VAR}` substitution are strings, so booleans arrive as 'true'/'false'.
 */
import { JsonObject, JsonValue } from '@backstage/types';

/** Whether the value is a JSON object (not an array, not null). */
export const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Boolean spellings a `${VAR}` substitution may give (strings). */
const TRUE = /^(true|1|yes|on)$/i;
const FALSE = /^(false|0|no|off)$/i;

/** Whether the value is true, or a string spelling of true. */
export function isTrue(value: JsonValue | undefined): boolean {
  return value === true || TRUE.test(String(value ?? '').trim());
}

/** Checks a true/false variable; returns a problem or undefined. */
export function checkBoolean(value: string): string | undefined {
  return TRUE.test(value.trim()) || FALSE.test(value.trim())
    ? undefined
    : 'must be true or false';
}
