/** Compares dotted versions (`2.10.4` vs `2.9.10`); a suffix such as `-beta` is ignored. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('-')[0].split('.').map(Number);
  const pb = b.split('-')[0].split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function versionAtLeast(version: string | undefined, min: string): boolean {
  return version !== undefined && compareVersions(version, min) >= 0;
}
