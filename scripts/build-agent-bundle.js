#!/usr/bin/env node
// Packs the button agent for a Raspberry Pi as dist/agent/vigie-agent.tgz: one JavaScript
// file (no node_modules, no native code), its systemd unit and its VERSION under a top folder
// vigie-agent/. The alert server serves it (GET /agent/vigie-agent.tgz), so a Pi needs nothing
// but Node.js and builds nothing. Run after `nest build button-agent` (npm run build does).
const { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
const { builtinModules } = require('node:module');
const { join, relative } = require('node:path');
const { gzipSync } = require('node:zlib');
const esbuild = require('esbuild');

const root = join(__dirname, '..');
// esbuild does not emit TypeScript's decorator metadata, which Nest's dependency injection
// reads: bundle what `nest build button-agent` wrote instead (ts-loader emitted the metadata,
// and its webpack already resolved the `@app/...` aliases; only packages are left as require()).
const entry = join(root, 'dist/apps/button-agent/main.js');
const out = join(root, 'dist/agent');
const unitSource = join(root, 'deploy/systemd/vigie-button-agent.service');
// Served beside the bundle (GET /agent/install.sh), its server line filled in per request.
const installSource = join(root, 'deploy/install.sh');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Where the unit expects the unpacked folder: `tar -xzf vigie-agent.tgz -C /opt`. */
const INSTALL_DIR = '/opt/vigie-agent';
const TOP = 'vigie-agent';

/**
 * Left out of the bundle: packages Nest requires lazily on paths the agent never takes. A Pi
 * has none of them, so any of these that were loaded would stop the agent with Nest's "package
 * is missing" error; test/agent-bundle.spec.ts runs every command from a folder with no
 * node_modules above it.
 */
const NEVER_LOADED = [
  // @nestjs/core tries these (optionalRequire) when it loads, and uses them only for
  // gateways and microservices; they are not installed here either.
  '@nestjs/websockets/socket-module',
  '@nestjs/microservices/microservices-module',
  '@nestjs/microservices',
  // NestFactory.create's HTTP adapter: the agent only makes an application context.
  '@nestjs/platform-express',
  // ValidationPipe, ClassSerializerInterceptor, ParseArrayPipe: the agent has no HTTP routes.
  'class-validator',
  'class-transformer',
  // FileTypeValidator resolves it when it checks an uploaded file.
  'file-type',
];

if (!existsSync(entry)) throw new Error(`${relative(root, entry)} is missing: run nest build button-agent`);
if (!readFileSync(entry, 'utf8').includes('"design:paramtypes"'))
  throw new Error(`${relative(root, entry)} carries no decorator metadata: Nest could not inject the agent`);

const result = esbuild.buildSync({
  entryPoints: [entry],
  absWorkingDir: root, // the metafile's paths, read below, are relative to it
  outfile: join(out, `${TOP}.js`),
  write: false,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: NEVER_LOADED,
  // Smaller and quicker to parse, but names kept: the stack of an AGENT_FAILED line stays readable.
  minifyWhitespace: true,
  minifySyntax: true,
  // The packages' licences go in a file of their own (THIRD-PARTY-LICENSES.txt).
  legalComments: 'none',
  banner: { js: `// Vigie button agent ${version}, one file: node ${TOP}.js [run | send TYPE | doctor]` },
  metafile: true,
  logLevel: 'warning',
});
const script = result.outputFiles[0].contents;

// Only Node's own modules and the list above may still be required at run time.
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const outside = Object.values(result.metafile.outputs)
  .flatMap((output) => output.imports)
  .filter((imported) => imported.external && !builtins.has(imported.path))
  .map((imported) => imported.path)
  .filter((path) => !NEVER_LOADED.includes(path));
if (outside.length > 0) throw new Error(`the agent bundle would require ${[...new Set(outside)].join(', ')}`);

const files = [
  { name: `${TOP}.js`, data: Buffer.from(script) },
  { name: 'vigie-button-agent.service', data: Buffer.from(bundledUnit(readFileSync(unitSource, 'utf8'))) },
  { name: 'VERSION', data: Buffer.from(`${version}\n`) },
  { name: 'THIRD-PARTY-LICENSES.txt', data: Buffer.from(licences(Object.keys(result.metafile.inputs))) },
];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const archive = join(out, `${TOP}.tgz`);
writeFileSync(archive, gzipSync(tar(TOP, files), { level: 9 }));
writeFileSync(join(out, 'install.sh'), installScript(readFileSync(installSource, 'utf8')));
process.stdout.write(
  `agent bundle built in ${relative(root, archive)}: ${TOP}.js ${Math.round(script.length / 1024)} KiB, version ${version}\n`,
);

/**
 * The repository's unit runs the agent from a checkout at /opt/vigie; the bundle's runs the one
 * file from INSTALL_DIR. Each line to change must be found once, so that a change to the unit
 * breaks the build here rather than ship a unit pointing at nothing.
 */
function bundledUnit(text) {
  const changes = [
    [/^# Installed by .*; settings/m, '# Installed from the bundle the alert server serves; settings'],
    [/^Documentation=.*\n/m, ''],
    [/^WorkingDirectory=\/opt\/vigie$/m, `WorkingDirectory=${INSTALL_DIR}`],
    [
      /^ExecStart=\/usr\/bin\/node \/opt\/vigie\/dist\/apps\/button-agent\/main\.js run$/m,
      `ExecStart=/usr/bin/node ${INSTALL_DIR}/${TOP}.js run`,
    ],
  ];
  for (const [pattern, replacement] of changes) {
    if (!pattern.test(text)) throw new Error(`${relative(root, unitSource)}: no line matches ${pattern}`);
    text = text.replace(pattern, replacement);
  }
  return text;
}

/** The server fills in the line `server=''` (agent-bundle.ts): it must be there, once. */
function installScript(text) {
  if ((text.match(/^server=''$/gm) ?? []).length !== 1)
    throw new Error(
      `${relative(root, installSource)}: expected one line server='' for the server to fill in`,
    );
  return text;
}

/** Each bundled package's name, version and licence text: their licences ask copies to carry them. */
function licences(inputs) {
  const packageDirs = new Set();
  for (const input of inputs) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) packageDirs.add(join(root, match[1]));
  }
  return [...packageDirs]
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const file = readdirSync(dir).find((name) => /^(licen[cs]e|copying)/i.test(name));
      const text = file
        ? readFileSync(join(dir, file), 'utf8').trim()
        : `(no licence file; ${manifest.license})`;
      return { title: `${manifest.name} ${manifest.version} (${manifest.license})`, text };
    })
    .sort((a, b) => a.title.localeCompare(b.title))
    .map(({ title, text }) => `${title}\n${'='.repeat(title.length)}\n\n${text}\n`)
    .join('\n');
}

/**
 * A ustar archive of one folder. Written here rather than by the system `tar`: GNU tar and
 * bsdtar spell owner, mode and order options differently and would record the builder's user,
 * while these few lines give the same archive everywhere (root-owned, fixed modes), in the
 * plain format every tar reads, busybox's included.
 */
function tar(folder, entries) {
  const mtime = Math.floor(Date.now() / 1000);
  const blocks = [header(`${folder}/`, 0o755, 0, mtime, '5')];
  for (const { name, data } of entries) {
    blocks.push(header(`${folder}/${name}`, 0o644, data.length, mtime, '0'), data);
    blocks.push(Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024)); // two empty blocks end the archive
  return Buffer.concat(blocks);
}

function header(name, mode, size, mtime, type) {
  if (Buffer.byteLength(name) > 100) throw new Error(`${name}: too long for a ustar name`);
  const block = Buffer.alloc(512);
  const octal = (value, offset, width) =>
    block.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, 'ascii');
  block.write(name, 0, 'utf8');
  octal(mode, 100, 8);
  octal(0, 108, 8); // uid
  octal(0, 116, 8); // gid
  octal(size, 124, 12);
  octal(mtime, 136, 12);
  block.write(' '.repeat(8), 148, 'ascii'); // the checksum counts its own field as spaces
  block.write(type, 156, 'ascii');
  block.write('ustar\u000000', 257, 'ascii');
  block.write('root', 265, 'ascii');
  block.write('root', 297, 'ascii');
  const checksum = block.reduce((sum, byte) => sum + byte, 0);
  block.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}
