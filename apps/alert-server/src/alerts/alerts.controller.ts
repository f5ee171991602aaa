import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  Alert,
  AlertPage,
  CreateAlertDto,
  HandleAlertDto,
  ListAlertsQuery,
  TimelineEntry,
} from '@app/contracts';
import { AlertPageResource, AlertResource, TimelineEntryResource } from '../api-docs/resources';
import { ApiErrors } from '../api-docs/responses';
import { CurrentOperator, DeviceAccess } from '../auth/access';
import type { OperatorIdentity } from '../auth/operator-auth.service';
import { DeviceRateLimit } from '../auth/rate-limit.guard';
import { Ingestion } from '../http/route-traits';
import { ReceivedAt, Reception } from '../http/received-at';
import { Handling } from './alerts.service';
import { AlertsService } from './alerts.service';

const ID = ApiParam({ name: 'id', description: "the alert's id", format: 'uuid' });
const FOUND_NO_ALERT: [number, string] = [404, 'no alert has this id'];
const SIGN_IN: [number, string] = [401, 'no operator session: sign in first'];

@ApiTags('alerts')
@Controller('alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  /** 201 for a new alert, 200 for a retry of one already stored: the device sees either as stored. */
  @Post()
  @DeviceAccess('body')
  @Ingestion()
  @DeviceRateLimit()
  @ApiOperation({
    summary: 'A device raises an alert',
    description:
      'A 2xx means the alert is on disk. `id` is the idempotency key the device made at press time: a retry with the same content answers 200 with the stored alert.',
  })
  @ApiCreatedResponse({
    description: 'new alert, stored durably',
    type: AlertResource,
    headers: { Location: { description: '/alerts/{id}', schema: { type: 'string' } } },
  })
  @ApiOkResponse({
    description: 'a retry (same id, same content): the stored alert, unchanged',
    type: AlertResource,
  })
  @ApiErrors(
    400,
    [401, 'missing, unknown or revoked device token'],
    [403, "a token of another device than `deviceId`, or a request from another origin's page"],
    [409, 'same id, different content'],
    413,
    [415, 'body not JSON'],
    [
      429,
      'this device sends more than any button can, or this address sent bad tokens: wait for `Retry-After`',
    ],
    503,
  )
  async create(
    @Body() dto: CreateAlertDto,
    @ReceivedAt() reception: Reception,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Alert> {
    const { alert, created } = await this.alerts.create(dto, reception);
    res.status(created ? 201 : 200).location(`/alerts/${alert.id}`);
    return alert;
  }

  @Get()
  @ApiOperation({ summary: 'Alerts, newest first by receivedAt, a page at a time' })
  @ApiOkResponse({ type: AlertPageResource })
  @ApiErrors([400, 'a filter, limit or cursor is invalid'], SIGN_IN, 503)
  list(@Query() query: ListAlertsQuery): Promise<AlertPage> {
    return this.alerts.list(query);
  }

  @Get(':id')
  @ID
  @ApiOperation({ summary: 'One alert' })
  @ApiOkResponse({ type: AlertResource })
  @ApiErrors(SIGN_IN, FOUND_NO_ALERT, 503)
  findOne(@Param('id') id: string): Promise<Alert> {
    return this.alerts.findOne(id);
  }

  @Get(':id/timeline')
  @ID
  @ApiOperation({
    summary: "The alert's life, oldest first",
    description:
      'Received, each escalation step reached, each notification sent or failed (with its channel), acknowledged, resolved.',
  })
  @ApiOkResponse({ type: [TimelineEntryResource] })
  @ApiErrors(SIGN_IN, FOUND_NO_ALERT, 503)
  timeline(@Param('id') id: string): Promise<TimelineEntry[]> {
    return this.alerts.timeline(id);
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @ID
  @ApiOperation({
    summary: 'Someone is on it',
    description:
      '`by` is the signed-in operator. Acknowledging again returns the alert unchanged: the first acknowledgement stands.',
  })
  @ApiOkResponse({ type: AlertResource })
  @ApiErrors(400, SIGN_IN, 403, FOUND_NO_ALERT, [409, 'the alert is resolved'], 413, 415, 503)
  acknowledge(
    @Param('id') id: string,
    @Body() dto: HandleAlertDto,
    @CurrentOperator() operator: OperatorIdentity | null,
  ): Promise<Alert> {
    return this.alerts.acknowledge(id, handling(dto, operator));
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @ID
  @ApiOperation({
    summary: 'The alert is dealt with',
    description:
      '`by` is the signed-in operator; an open alert may be resolved directly. Resolving again returns it unchanged.',
  })
  @ApiOkResponse({ type: AlertResource })
  @ApiErrors(400, SIGN_IN, 403, FOUND_NO_ALERT, 413, 415, 503)
  resolve(
    @Param('id') id: string,
    @Body() dto: HandleAlertDto,
    @CurrentOperator() operator: OperatorIdentity | null,
  ): Promise<Alert> {
    return this.alerts.resolve(id, handling(dto, operator));
  }
}

/** `by` is the signed-in operator; only without sign-in (VIGIE_AUTH=off) does the body say it. */
function handling(dto: HandleAlertDto, operator: OperatorIdentity | null): Handling {
  const by = operator?.name ?? dto.by;
  if (by === undefined) {
    throw new BadRequestException(['by must name who handles the alert when operators do not sign in']);
  }
  return { by, note: dto.note };
}
