import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The documentation a newcomer reads: a README short enough to be read, links that lead
 * somewhere, and a code map that names every folder of the sources.
 */
const root = join(__dirname, '..');
const README_MAX_BYTES = 15 * 1024;

/** Every Markdown file whose relative links must resolve, from the repository root. */
function documents(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs, 'bench/RESULTS.md'];
}

/** The lines of a Markdown text outside fenced code blocks, where links and headings live. */
function proseLines(text: string): string[] {
  const lines: string[] = [];
  let fence: string | null = null;
  for (const line of text.split('\n')) {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      continue;
    }
    if (fence === null) lines.push(line);
  }
  return lines;
}

/** Link and image targets of inline links (`[text](target "title")`), code spans left out. */
function linkTargets(text: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(text)) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      targets.push(match[1]);
    }
  }
  return targets;
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, each space a hyphen. */
function headingSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings; a repeated heading gets `-1`, `-2`... as on GitHub. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = headingSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Why a relative link of `document` does not resolve, or null when it does. */
function brokenLink(document: string, target: string): string | null {
  const [path, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = path === '' ? join(root, document) : resolve(dirname(join(root, document)), decodeURI(path));
  if (!file.startsWith(root)) return `${target}: outside the repository`;
  if (!existsSync(file)) return `${target}: no file ${relative(root, file)}`;
  if (anchor === undefined || anchor === '') return null;
  if (!file.endsWith('.md')) return `${target}: an anchor into a file that is not Markdown`;
  if (!anchorsOf(readFileSync(file, 'utf8')).has(anchor.toLowerCase())) {
    return `${target}: no heading #${anchor} in ${relative(root, file)}`;
  }
  return null;
}

/** Every folder under `dir` (itself included), by its path from the repository root. */
function foldersUnder(dir: string): string[] {
  const absolute = join(root, dir);
  const found = [dir];
  for (const name of readdirSync(absolute).sort()) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    if (statSync(join(absolute, name)).isDirectory()) found.push(...foldersUnder(`${dir}/${name}`));
  }
  return found;
}

function sourceFolders(): string[] {
  const apps = readdirSync(join(root, 'apps'))
    .filter((app) => existsSync(join(root, 'apps', app, 'src')))
    .flatMap((app) => foldersUnder(`apps/${app}/src`));
  const libs = readdirSync(join(root, 'libs'))
    .filter((lib) => statSync(join(root, 'libs', lib)).isDirectory())
    .flatMap((lib) => foldersUnder(`libs/${lib}`));
  return [...apps, ...libs];
}

describe('the documentation', () => {
  it(`README.md is at most ${README_MAX_BYTES} bytes: it is for people who run Vigie`, () => {
    expect(statSync(join(root, 'README.md')).size).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it('the README still opens with the two commands', () => {
    const opening = readFileSync(join(root, 'README.md'), 'utf8').split('\n').slice(0, 6).join('\n');
    expect(opening).toContain('npm ci && npm start');
    expect(opening).toContain('npm test');
  });

  it.each(documents())('every relative link in %s resolves (files and heading anchors)', (document) => {
    const text = readFileSync(join(root, document), 'utf8');
    const relativeTargets = linkTargets(text).filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
    const broken = relativeTargets
      .map((target) => brokenLink(document, target))
      .filter((problem) => problem !== null);
    expect(broken).toEqual([]);
  });

  it('docs/architecture.md names every folder under apps/*/src and libs/ as `path/`', () => {
    const map = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
    const missing = sourceFolders().filter((folder) => !map.includes(`\`${folder}/\``));
    expect(missing).toEqual([]);
  });
});

describe('headingSlug', () => {
  it.each([
    ['The API in short', 'the-api-in-short'],
    ['First look (`npm start`)', 'first-look-npm-start'],
    ['`npm run bench:agent`', 'npm-run-benchagent'],
    ['Operations: logs, error codes, metrics', 'operations-logs-error-codes-metrics'],
    ['Why a writer thread', 'why-a-writer-thread'],
  ])('%s → #%s', (heading, slug) => {
    expect(headingSlug(heading)).toBe(slug);
  });
});
