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
// `doctor` as the service runs it, for a technician on the Pi: sudo /opt/vigie-agent/doctor.sh
const doctorSource = join(root, 'deploy/agent-doctor.sh');
// Served beside the bundle (GET /agent/install.sh), its server line filled in per request.
const installSource = join(root, 'deploy/install.sh');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** The archive's top folder: `tar -xzf vigie-agent.tgz -C /opt` makes /opt/vigie-agent, where the unit runs it. */
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

/**
 * Left out of the bundle and loaded only if present: the rpi-gpio driver's package, an optional
 * dependency with native code (epoll) that a Pi installs beside the agent only if it needs that
 * driver (cd /opt/vigie-agent && npm install rpi-gpio@2). Without it the driver says
 * RPI_GPIO_MODULE_MISSING and `auto` moves on.
 */
const INSTALLED_BESIDE = ['rpi-gpio'];

/**
 * Work some packages do as they load, for features the agent never uses, and the memory it
 * would hold for nothing on a Pi (bench:agent measures the bundle). Each edit is a plain text
 * replacement in one file of a locked package and must match exactly once: a package upgrade
 * that changes the text stops the build here instead of shipping without the edit.
 * test/agent-bundle.spec.ts checks the running agent for what these remove.
 */
const LOAD_TIME_EDITS = [
  {
    file: 'node_modules/axios/dist/node/axios.cjs',
    why:
      'axios probes the fetch API when it loads (a Request with a stream body), which makes Node ' +
      'load its fetch implementation, undici, and compile its WebAssembly parser: about 12 MB. ' +
      "The agent uses axios's http adapter, picked before fetch; the probe then runs if ever asked.",
    edits: [
      [/^getFetch\(\);$/m, ''],
      // Reading the global FormData loads undici too. axios still recognises a FormData by its
      // tag without the constructor; the agent never sends one.
      [
        "const FormDataCtor = typeof G.FormData !== 'undefined' ? G.FormData : undefined;",
        'const FormDataCtor = undefined;',
      ],
    ],
  },
  ...['console-logger.service.js', 'logger.service.js'].map((name) => ({
    file: `node_modules/@nestjs/common/services/${name}`,
    why:
      "Nest makes a date formatter when its logger module loads, which pages in Intl's locale " +
      'data: about 6 MB. The agent logs with pino; the formatter is made on its first use.',
    edits: [
      [
        'const dateTimeFormatter = new Intl.DateTimeFormat(undefined, {',
        'const dateTimeFormatter = lazyDateTimeFormat(undefined, {',
      ],
      [
        /^('use strict';|"use strict";)$/m,
        '$1\nfunction lazyDateTimeFormat(locales, options) {\n' +
          '  let formatter;\n' +
          '  return { format: (date) => (formatter ??= new Intl.DateTimeFormat(locales, options)).format(date) };\n' +
          '}',
      ],
    ],
  })),
];

/**
 * Packages replaced by nothing (`module.exports = undefined`): required when another loads,
 * used only for a feature the agent does not use.
 */
const EMPTY_MODULES = {
  // axios requires it for multipart uploads from streams, and falls back to Node's own FormData
  // without it; it brings mime-db's table of every MIME type (about 4 MB in memory).
  'form-data': 'axios multipart uploads',
};

/** esbuild plugin applying LOAD_TIME_EDITS and EMPTY_MODULES. */
const slimming = {
  name: 'vigie-agent-slimming',
  setup(build) {
    const leftOut = new RegExp(`^(${Object.keys(EMPTY_MODULES).join('|')})$`);
    build.onResolve({ filter: leftOut }, (args) => ({ path: args.path, namespace: 'empty-module' }));
    build.onLoad({ filter: /.*/, namespace: 'empty-module' }, (args) => ({
      contents: `// ${args.path}: not in the agent bundle (${EMPTY_MODULES[args.path]}).\nmodule.exports = undefined;\n`,
      loader: 'js',
    }));
    for (const { file, why, edits } of LOAD_TIME_EDITS) {
      const path = join(root, file);
      const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      build.onLoad({ filter: new RegExp(`^${escaped}$`) }, () => {
        let text = readFileSync(path, 'utf8');
        for (const [pattern, replacement] of edits) {
          const count =
            typeof pattern === 'string'
              ? text.split(pattern).length - 1
              : (text.match(new RegExp(pattern, 'gm')) ?? []).length;
          if (count !== 1)
            throw new Error(`${file}: expected one match of ${pattern}, found ${count} (${why})`);
          text = text.replace(pattern, replacement);
        }
        return { contents: text, loader: 'js' };
      });
    }
  },
};

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});

async function main() {
  if (!existsSync(entry)) throw new Error(`${relative(root, entry)} is missing: run nest build button-agent`);
  if (!readFileSync(entry, 'utf8').includes('"design:paramtypes"'))
    throw new Error(
      `${relative(root, entry)} carries no decorator metadata: Nest could not inject the agent`,
    );

  const result = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: root, // the metafile's paths, read below, are relative to it
    outfile: join(out, `${TOP}.js`),
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: [...NEVER_LOADED, ...INSTALLED_BESIDE],
    // Smaller and quicker to parse, but names kept: the stack of an AGENT_FAILED line stays readable.
    minifyWhitespace: true,
    minifySyntax: true,
    // The packages' licences go in a file of their own (THIRD-PARTY-LICENSES.txt).
    legalComments: 'none',
    banner: { js: `// Vigie button agent ${version}, one file: node ${TOP}.js [run | send TYPE | doctor]` },
    metafile: true,
    plugins: [slimming],
    logLevel: 'warning',
  });
  const script = result.outputFiles[0].contents;

  // An edited file the bundle no longer holds (a package moved its code elsewhere) would ship
  // the agent without its edit: stop here rather than rely on the test that would notice later.
  const bundled = new Set(Object.keys(result.metafile.inputs));
  const unused = LOAD_TIME_EDITS.filter(({ file }) => !bundled.has(file)).map(({ file }) => file);
  if (unused.length > 0)
    throw new Error(`no longer in the agent bundle, so not edited: ${unused.join(', ')}`);

  // Only Node's own modules and the lists above may still be required at run time.
  const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
  const outside = Object.values(result.metafile.outputs)
    .flatMap((output) => output.imports)
    .filter((imported) => imported.external && !builtins.has(imported.path))
    .map((imported) => imported.path)
    .filter((path) => !NEVER_LOADED.includes(path) && !INSTALLED_BESIDE.includes(path));
  if (outside.length > 0)
    throw new Error(`the agent bundle would require ${[...new Set(outside)].join(', ')}`);

  const files = [
    { name: `${TOP}.js`, data: Buffer.from(script) },
    { name: 'vigie-button-agent.service', data: readFileSync(unitSource) },
    { name: 'doctor.sh', data: readFileSync(doctorSource), mode: 0o755 },
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
  for (const { name, data, mode = 0o644 } of entries) {
    blocks.push(header(`${folder}/${name}`, mode, data.length, mtime, '0'), data);
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
