import type { Alert, AlertType } from '@app/contracts/wire';
import { pressedAt } from './alert-types';
import { byUrgency, compareUrgency } from './urgency';

/** Presses of one type this close to the one before make one incident (a fire sets off many buttons). */
export const INCIDENT_WINDOW_MS = 5 * 60_000;

/** One alert, or several of one type pressed together: one card on the board either way. */
export interface Incident {
  /** Its first press's alert id: the card keeps its identity while that alert is active. */
  key: string;
  type: AlertType;
  /** The building its locations name, when they name one. */
  building: string | null;
  /** Most urgent first. */
  alerts: Alert[];
  firstPressAt: number;
}

/**
 * The building a location names before its first separator: "Bâtiment A / Salle 12",
 * "Bât. B - 2e étage", "Gym, vestiaire" give "Bâtiment A", "Bât. B", "Gym". A location without a
 * separator names no building (null): "Accueil" may be anywhere.
 */
export function buildingOf(location: string | null | undefined): string | null {
  if (!location) return null;
  // Lazy up to the first separator, the spaces before it left out by `\s*`.
  const match = /^(.+?)\s*(?:\s[/>|–—-]\s|[/>|]|,|:)/.exec(location.trim());
  return match ? match[1] : null;
}

/** A building as a person reads it: case, accents and spacing aside. */
function buildingKey(building: string): string {
  return building.normalize('NFD').replace(/\p{M}/gu, '').replace(/\s+/g, ' ').toLowerCase();
}

/**
 * The active alerts as the board shows them: alerts of one type, each pressed within
 * INCIDENT_WINDOW_MS of the one before, are one incident, unless their locations name
 * different buildings (two fires in two buildings are two incidents). A location that names
 * no building joins by type and time alone. Incidents come most urgent first, each ranked by
 * its most urgent alert (compareUrgency).
 */
export function groupIncidents(alerts: readonly Alert[], now = Date.now()): Incident[] {
  interface Forming {
    type: AlertType;
    building: string | null;
    /** buildingKey of `building`, made once: this runs at every live event. */
    buildingKey: string | null;
    alerts: Alert[];
    firstPressAt: number;
    lastPressAt: number;
  }
  const forming: Forming[] = [];
  const byPress = [...alerts].sort(
    (a, b) => pressedAt(a, now) - pressedAt(b, now) || a.id.localeCompare(b.id),
  );
  for (const alert of byPress) {
    const at = pressedAt(alert, now);
    const building = buildingOf(alert.location);
    const key = building === null ? null : buildingKey(building);
    let joined: Forming | undefined;
    for (const incident of forming) {
      if (incident.type !== alert.type || at - incident.lastPressAt > INCIDENT_WINDOW_MS) continue;
      if (key !== null && incident.buildingKey !== null && key !== incident.buildingKey) continue;
      // The one pressed last wins: a press continues the incident it came closest after.
      if (!joined || incident.lastPressAt > joined.lastPressAt) joined = incident;
    }
    if (joined) {
      joined.alerts.push(alert);
      joined.lastPressAt = at;
      joined.building ??= building;
      joined.buildingKey ??= key;
    } else {
      forming.push({
        type: alert.type,
        building,
        buildingKey: key,
        alerts: [alert],
        firstPressAt: at,
        lastPressAt: at,
      });
    }
  }
  return forming
    .map((incident) => ({
      key: incident.alerts[0].id,
      type: incident.type,
      building: incident.building,
      alerts: byUrgency(incident.alerts, now),
      firstPressAt: incident.firstPressAt,
    }))
    .sort((a, b) => compareUrgency(a.alerts[0], b.alerts[0], now));
}
