'use strict';
/**
 * The security post at scale (bench:live's scale part): a large site's buttons spread over a few
 * buildings, located as "Bâtiment A / Salle 12" (the form the dashboard reads a building from, so
 * its incidents group by building), their heartbeats with the problems a real site has (buttons
 * never heard from, alerts waiting in a spool, outdated agents), the open alerts a busy hour
 * leaves on the board, and the new alerts timed while the page shows all that.
 *
 * Drawn from a fixed seed: every run has the same devices, the same problems and the same mix
 * of incidents and lone alerts, so runs compare. Only the alert ids and times follow the clock.
 */
const { alertBodyFor: body } = require('./alert-data');

const BUILDINGS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];
const MINUTE = 60_000;
/** The version the built server hands out (package.json); older agents are marked on the page. */
const AGENT_VERSION = '0.1.0';
const OLD_AGENT_VERSION = '0.0.9';
/** Shares of the devices with a problem; the rest beat normally. */
const NEVER_BEATING = 0.03;
const SPOOLING = 0.01;
const OUTDATED = 0.01;
/** Real alerts of a busy hour (drills apart): medical and panic are the common ones. */
const REAL_TYPES = [
  ['fire', 10],
  ['intrusion', 25],
  ['medical', 35],
  ['panic', 30],
].flatMap(([type, weight]) => Array(weight).fill(type));

/** mulberry32: small, fast, and the same sequence for the same seed. */
function seeded(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

/**
 * `count` devices, an equal share in each building: `pi-a-001` in "Bâtiment A / Salle 1", ...
 * Each has the heartbeat it sends (null: never heard from), chosen at random across buildings.
 */
function makeSite(count, seed = 20261203) {
  const random = seeded(seed);
  const perBuilding = Math.ceil(count / BUILDINGS.length);
  const devices = Array.from({ length: count }, (_, index) => {
    const building = BUILDINGS[Math.floor(index / perBuilding)];
    const room = (index % perBuilding) + 1;
    return {
      id: `pi-${building.toLowerCase()}-${String(room).padStart(3, '0')}`,
      building,
      location: `Bâtiment ${building} / Salle ${room}`,
      heartbeat: null,
    };
  });
  // A shuffled order hands out the problems, so they fall in every building.
  const order = devices.map((_, index) => index);
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const never = Math.round(count * NEVER_BEATING);
  const spooling = Math.round(count * SPOOLING);
  const outdated = Math.round(count * OUTDATED);
  order.forEach((index, rank) => {
    if (rank < never) return;
    const device = devices[index];
    const spool = rank < never + spooling;
    const old = !spool && rank < never + spooling + outdated;
    device.heartbeat = {
      location: device.location,
      agentVersion: old ? OLD_AGENT_VERSION : AGENT_VERSION,
      spoolDepth: spool ? 1 + random.int(12) : 0,
      uptimeSeconds: 60,
    };
  });
  const beating = devices.filter((device) => device.heartbeat);
  const inBuilding = new Map(BUILDINGS.map((b) => [b, beating.filter((device) => device.building === b)]));
  return {
    devices,
    beating,
    problems: { never, spooling, outdated },
    random,
    /** A device of `building` that beats (an alert would bring a silent one online). */
    deviceIn: (building) => random.pick(inBuilding.get(building)),
  };
}

/**
 * Two incidents still going on (presses in the last minutes: new alerts of their type and
 * building join them), in the buildings the new alerts favour.
 */
const ONGOING = [
  { type: 'fire', building: 'C' },
  { type: 'panic', building: 'G' },
];

/**
 * The `count` alerts left open by a busy hour, oldest press first: two finished incidents (a
 * fire of many buttons 40 minutes ago, an intrusion 25 minutes ago), the two ongoing ones, a
 * few drills, and the rest lone alerts of the common types pressed at random over the hour in
 * random buildings (some of which meet another within 5 minutes and group: a small incident).
 */
function openAlerts(site, count, now = Date.now()) {
  const { random, deviceIn } = site;
  const alerts = [];
  const burst = (type, building, size, startMinutesAgo, spanMinutes) => {
    for (let i = 0; i < size; i++) {
      const at = now - startMinutesAgo * MINUTE + (i / Math.max(1, size - 1)) * spanMinutes * MINUTE;
      alerts.push(body(deviceIn(building), type, at, now));
    }
  };
  const share = (fraction) => Math.max(1, Math.round(count * fraction));
  burst('fire', 'B', share(0.12), 40, 2);
  burst('intrusion', 'E', share(0.03), 25, 1);
  burst(ONGOING[0].type, ONGOING[0].building, share(0.06), 4, 3.5);
  burst(ONGOING[1].type, ONGOING[1].building, share(0.02), 3, 2);
  const drills = share(0.04);
  for (let i = 0; i < drills; i++) {
    alerts.push(body(deviceIn(random.pick(BUILDINGS)), 'test', now - (5 + random.next() * 55) * MINUTE, now));
  }
  while (alerts.length < count) {
    const type = random.pick(REAL_TYPES);
    alerts.push(body(deviceIn(random.pick(BUILDINGS)), type, now - (1 + random.next() * 59) * MINUTE, now));
  }
  return alerts.slice(0, count).sort((a, b) => a.triggeredAt.localeCompare(b.triggeredAt));
}

/**
 * A new alert, pressed now: three in ten from an ongoing incident's building and type (it grows),
 * a drill now and then, the rest of a common type in any building (new cards at first, then,
 * pressed within minutes of each other, small incidents of their own).
 */
function newAlert(site, now = Date.now()) {
  const { random, deviceIn } = site;
  const draw = random.next();
  const pressed = now - 5 - random.int(200);
  if (draw < 0.3) {
    const { type, building } = ONGOING[draw < 0.2 ? 0 : 1];
    return body(deviceIn(building), type, pressed, now);
  }
  const type = draw < 0.35 ? 'test' : random.pick(REAL_TYPES);
  return body(deviceIn(random.pick(BUILDINGS)), type, pressed, now);
}

module.exports = { AGENT_VERSION, makeSite, newAlert, openAlerts };
