/**
 * The house rule for feature folders: a feature never imports another feature's files. What
 * several features need lives in `lib/` (API hooks, formatting) or `components/`, and pages
 * that show pieces of several features get them from their route in `app/routes`.
 */
import { describe, expect, it } from 'vitest';

const sources = import.meta.glob<string>('/src/features/**/*.{ts,tsx}', {
  query: '?raw',
  import: 'default',
  eager: true,
});
const IMPORT = /(?:from\s+|import\s*\(\s*|vi\.mock\(\s*)'(\.{1,2}\/[^']+)'/g;

function resolve(file: string, spec: string): string {
  const parts = file.split('/').slice(0, -1);
  for (const part of spec.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.') parts.push(part);
  }
  return parts.join('/');
}

function featureOf(path: string): string | undefined {
  return /^\/src\/features\/([^/]+)\//.exec(path)?.[1];
}

describe('feature folders', () => {
  it('import nothing from another feature', () => {
    const crossings = Object.entries(sources).flatMap(([file, text]) => {
      const feature = featureOf(file);
      if (feature === undefined) return [];
      return [...text.matchAll(IMPORT)]
        .map((match) => resolve(file, match[1] ?? ''))
        .filter((target) => {
          const other = featureOf(`${target}/`);
          return other !== undefined && other !== feature;
        })
        .map((target) => `${file} -> ${target}`);
    });
    expect(Object.keys(sources).length).toBeGreaterThan(50);
    expect(crossings).toEqual([]);
  });
});
