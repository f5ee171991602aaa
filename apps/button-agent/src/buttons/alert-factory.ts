import type { AlertType } from '@app/contracts/wire';
import { uuidv7 } from '@app/contracts/uuid';
import { ButtonConfig } from '../config/agent-config';
import { AlertBody } from '../spool/spooled-alert';

/** Makes the alert of a press: its id is born here and kept through every retry and restart. */
export function alertForPress(
  device: { deviceId: string; location: string | null },
  press: { type: AlertType; button?: ButtonConfig; message?: string },
  now = new Date(),
): AlertBody {
  return {
    id: uuidv7(now.getTime()),
    deviceId: device.deviceId,
    type: press.type,
    ...(device.location ? { location: device.location } : {}),
    ...(press.message ? { message: press.message } : {}),
    ...(press.button ? { button: press.button.label ?? String(press.button.pin) } : {}),
    triggeredAt: now.toISOString(),
  };
}
