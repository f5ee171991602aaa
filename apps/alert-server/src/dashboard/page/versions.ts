/**
 * Whether agent version `a` is older than `b` (both `major.minor.patch`, a pre-release suffix
 * ignored). Null when either is not such a version: nothing is claimed about it.
 */
export function isOlderVersion(a: string, b: string): boolean | null {
  const parse = (text: string) => /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim())?.slice(1).map(Number);
  const left = parse(a);
  const right = parse(b);
  if (!left || !right) return null;
  for (let i = 0; i < 3; i++) if (left[i] !== right[i]) return left[i] < right[i];
  return false;
}
