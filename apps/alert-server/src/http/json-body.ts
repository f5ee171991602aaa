/** Deeper than any real body: a guard against stack exhaustion further down the pipeline. */
export const MAX_JSON_DEPTH = 32;

/**
 * Keys that could reach an object's prototype when copied onto a class instance, and keys
 * every object inherits (`toString`...), which the validator's whitelist mistakes for
 * declared fields: no DTO field has such a name, so they are refused as unknown.
 */
function isForbiddenKey(key: string): boolean {
  return key === '__proto__' || key === 'prototype' || key in Object.prototype;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export type JsonBodyResult = { ok: true; value: Record<string, unknown> } | { ok: false; messages: string[] };

/** Parses a request body that must be one JSON object, refusing what later steps must never see. */
export function parseJsonObject(bytes: Buffer): JsonBodyResult {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, messages: ['body must be valid UTF-8'] };
  }
  if (text.trim() === '') return { ok: false, messages: ['body must be a JSON object, not empty'] };
  if (nestingDepth(text) > MAX_JSON_DEPTH) {
    return { ok: false, messages: [`body must not nest deeper than ${MAX_JSON_DEPTH} levels`] };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, messages: [`body is not valid JSON: ${(error as Error).message}`] };
  }
  const forbidden = forbiddenKeys(value);
  if (forbidden.size > 0) {
    return { ok: false, messages: [...forbidden].map((key) => `property ${key} should not exist`) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, messages: ['body must be a JSON object'] };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** Forbidden keys anywhere in a parsed value (depth already bounded, so recursion is safe). */
function forbiddenKeys(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value !== 'object' || value === null) return found;
  if (Array.isArray(value)) {
    for (const item of value) forbiddenKeys(item, found);
    return found;
  }
  for (const key of Object.keys(value)) {
    if (isForbiddenKey(key)) found.add(key);
    forbiddenKeys((value as Record<string, unknown>)[key], found);
  }
  return found;
}

/** Deepest nesting of arrays and objects, ignoring brackets inside strings. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c)
        i++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (char === 0x7d || char === 0x5d) depth--;
  }
  return deepest;
}
