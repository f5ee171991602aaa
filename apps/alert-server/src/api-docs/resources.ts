import { ApiProperty } from '@nestjs/swagger';
import {
  ALERT_SEVERITIES,
  ALERT_STATUSES,
  ALERT_TYPES,
  DEVICE_ID_PATTERN,
  TIMELINE_KINDS,
  type Alert,
  type AlertPage,
  type AlertSeverity,
  type AlertStatus,
  type AlertType,
  type Device,
  type DeviceStatus,
  type EnrolledDevice,
  type Enrollment,
  type TimelineEntry,
  type TimelineKind,
} from '@app/contracts';

/*
 * The answers' shapes for the OpenAPI document. The wire types are interfaces, which leave
 * nothing at run time for @nestjs/swagger to read; each class here `implements` its type, so
 * a field added to or changed in the type and not here does not compile.
 */

/** Every error, whatever refused the request: the NestJS shape. */
export class ErrorBody {
  @ApiProperty({ example: 400, description: 'the HTTP status, repeated' })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request', description: 'the status text' })
  error: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['type must be one of the following values: fire, intrusion, medical, panic, test'],
    description: 'what is wrong: one text, or one per field at fault, each naming its field',
  })
  message: string | string[];
}

const TIMESTAMP = { type: 'string', format: 'date-time' } as const;

export class AlertResource implements Alert {
  @ApiProperty({ format: 'uuid', example: '0196f7a2-6c3e-7b41-9d5a-2f0c8e1a4b77' })
  id: string;

  @ApiProperty({ pattern: DEVICE_ID_PATTERN.source, example: 'pi-accueil-01' })
  deviceId: string;

  @ApiProperty({ enum: ALERT_TYPES, example: 'fire' })
  type: AlertType;

  @ApiProperty({ enum: ALERT_SEVERITIES, example: 'critical' })
  severity: AlertSeverity;

  @ApiProperty({ type: String, nullable: true, example: 'Accueil, rez-de-chaussée' })
  location: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Fumée dans le local technique' })
  message: string | null;

  @ApiProperty({ type: String, nullable: true, example: '17' })
  button: string | null;

  @ApiProperty({ ...TIMESTAMP, description: 'when the button was pressed, as the device says' })
  triggeredAt: string;

  @ApiProperty({ ...TIMESTAMP, description: 'when this server received it' })
  receivedAt: string;

  @ApiProperty({ enum: ALERT_STATUSES, example: 'open' })
  status: AlertStatus;

  @ApiProperty({ ...TIMESTAMP, nullable: true })
  acknowledgedAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  acknowledgedBy: string | null;

  @ApiProperty({ type: String, nullable: true })
  acknowledgementNote: string | null;

  @ApiProperty({ ...TIMESTAMP, nullable: true })
  resolvedAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  resolvedBy: string | null;

  @ApiProperty({ type: String, nullable: true })
  resolutionNote: string | null;
}

export class AlertPageResource implements AlertPage {
  @ApiProperty({ type: [AlertResource], description: 'newest first by receivedAt' })
  items: AlertResource[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'pass it as `before` for the next page; null on the last one',
  })
  nextCursor: string | null;
}

export class DeviceResource implements Device {
  @ApiProperty({ pattern: DEVICE_ID_PATTERN.source, example: 'pi-accueil-01' })
  id: string;

  @ApiProperty({ type: String, nullable: true })
  location: string | null;

  @ApiProperty({ enum: ['online', 'offline'] satisfies DeviceStatus[] })
  status: DeviceStatus;

  @ApiProperty({
    ...TIMESTAMP,
    nullable: true,
    description: 'last heartbeat or alert; null for a device added or enrolled that never spoke',
  })
  lastSeenAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  agentVersion: string | null;

  @ApiProperty({ type: Number, nullable: true, description: 'alerts waiting in the device spool' })
  spoolDepth: number | null;
}

export class EnrollmentResource implements Enrollment {
  @ApiProperty({ pattern: DEVICE_ID_PATTERN.source, example: 'pi-accueil-01' })
  deviceId: string;

  @ApiProperty({ description: 'one-time code: shown only now, single-use, valid for an hour' })
  code: string;

  @ApiProperty(TIMESTAMP)
  expiresAt: string;

  @ApiProperty({
    example: 'curl -fsSL http://poste.lan:3000/agent/install.sh | sudo sh -s -- vge_…',
    description: 'the whole installation, to run on the Pi',
  })
  command: string;
}

export class EnrolledDeviceResource implements EnrolledDevice {
  @ApiProperty({ pattern: DEVICE_ID_PATTERN.source, example: 'pi-accueil-01' })
  deviceId: string;

  @ApiProperty({ description: 'the device token (`VIGIE_DEVICE_TOKEN`): shown only now' })
  token: string;

  @ApiProperty({ type: String, nullable: true })
  location: string | null;

  @ApiProperty({ description: 'the address the agent posts to (`VIGIE_SERVER_URL`)' })
  serverUrl: string;
}

export class SessionResource {
  @ApiProperty({ description: 'the signed-in operator' })
  name: string;

  @ApiProperty({ ...TIMESTAMP, description: 'when the session ends' })
  expiresAt: string;
}

export class TimelineEntryResource implements TimelineEntry {
  @ApiProperty({ ...TIMESTAMP })
  at!: string;

  @ApiProperty({ enum: TIMELINE_KINDS, example: 'notification.sent' })
  kind!: TimelineKind;

  @ApiProperty({
    required: false,
    description: "the channel's name in the notification file",
    example: 'phones',
  })
  channel?: string;

  @ApiProperty({ required: false, description: 'the escalation step, 1 for the first', example: 2 })
  step?: number;

  @ApiProperty({
    required: false,
    description: "why a send failed, which repeat of a step, or the operator's note",
    example: 'timeout',
  })
  detail?: string;

  @ApiProperty({ required: false, description: 'who acknowledged or resolved the alert', example: 'Marie' })
  by?: string;
}
