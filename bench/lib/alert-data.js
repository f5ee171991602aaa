'use strict';
/** Realistic alert data: ~200 devices across a few sites, the contract's types, UUIDv7 ids. */
const { randomBytes } = require('node:crypto');

const SITES = [
  ['accueil', 'Accueil'],
  ['compta', 'Comptabilité'],
  ['atelier', 'Atelier'],
  ['entrepot', 'Entrepôt'],
  ['labo', 'Laboratoire'],
  ['direction', 'Direction'],
  ['cantine', 'Cantine'],
  ['parking', 'Parking'],
];
const FLOORS = ['sous-sol', 'rez-de-chaussée', '1er étage', '2e étage', '3e étage'];

/** `count` devices: `pi-<site>-<nn>` with their location. */
function makeDevices(count) {
  return Array.from({ length: count }, (_, index) => {
    const [slug, label] = SITES[index % SITES.length];
    const number = String(Math.floor(index / SITES.length) + 1).padStart(2, '0');
    return {
      id: `pi-${slug}-${number}`,
      location: `${label}, ${FLOORS[index % FLOORS.length]}, poste ${number}`,
    };
  });
}

/** A large site's 200 buttons. */
const DEVICES = makeDevices(200);

/** Test presses dominate a real log; emergencies are rarer. */
const TYPE_WEIGHTS = [
  ['test', 40],
  ['panic', 20],
  ['medical', 15],
  ['intrusion', 15],
  ['fire', 10],
];
const TYPE_TABLE = TYPE_WEIGHTS.flatMap(([type, weight]) => Array(weight).fill(type));
const BUTTONS = { fire: '17', intrusion: '27', medical: '22', panic: '23', test: '24' };
const MESSAGES = {
  fire: 'Fumée dans le local technique',
  intrusion: 'Porte forcée côté quai de chargement',
  medical: 'Malaise d’un collaborateur, appel au SST',
  panic: 'Client agressif à l’accueil',
  test: 'Essai mensuel du bouton',
};

const pick = (list) => list[Math.floor(Math.random() * list.length)];

/** RFC 9562 version 7: 48 bits of Unix milliseconds, then random bits. */
function uuidv7(ms = Date.now()) {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The body `device`'s agent posts for a press of `type` at `triggeredAt` (ms), its id made at `now`. */
function alertBodyFor(device, type, triggeredAt, now = Date.now()) {
  return {
    id: uuidv7(now),
    deviceId: device.id,
    type,
    message: MESSAGES[type],
    location: device.location,
    button: BUTTONS[type],
    triggeredAt: new Date(triggeredAt).toISOString(),
  };
}

/** The body a button agent posts: the id it made at press time and what the press means. */
function alertBody(now = Date.now(), devices = DEVICES) {
  // Pressed a little before it arrived: the agent's spool and the network take a moment.
  return alertBodyFor(pick(devices), pick(TYPE_TABLE), now - 5 - Math.floor(Math.random() * 200), now);
}

module.exports = {
  DEVICES,
  makeDevices,
  MESSAGES,
  BUTTONS,
  TYPE_TABLE,
  uuidv7,
  alertBody,
  alertBodyFor,
  pick,
};
