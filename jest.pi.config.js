/**
 * `npm run test:pi`: the install script's whole run on an arm64 Debian trixie (qemu-user-static,
 * debootstrap), as root. Minutes long, so not part of `npm test`; the system project's settings.
 */
const base = require('./jest.config.js');

const system = base.projects.find((project) => project.displayName === 'system');

module.exports = {
  ...system,
  displayName: 'pi',
  testMatch: ['<rootDir>/test/pi/**/*.pi-spec.ts'],
  // debootstrap (a few minutes on a first run) and apt-get under emulation.
  testTimeout: 20 * 60_000,
};
