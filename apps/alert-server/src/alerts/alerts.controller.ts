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
import type { Response } from 'express';
import { Alert, AlertPage, CreateAlertDto, HandleAlertDto, ListAlertsQuery } from '@app/contracts';
import { CurrentOperator, DeviceAccess } from '../auth/access';
import type { OperatorIdentity } from '../auth/operator-auth.service';
import { DeviceRateLimit } from '../auth/rate-limit.guard';
import { ReceivedAt, Reception } from '../http/received-at';
import { Handling } from './alerts.service';
import { AlertsService } from './alerts.service';

@Controller('alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  /** 201 for a new alert, 200 for a retry of one already stored (contract §3). */
  @Post()
  @DeviceAccess('body')
  @DeviceRateLimit()
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
  list(@Query() query: ListAlertsQuery): Promise<AlertPage> {
    return this.alerts.list(query);
  }

  @Get(':id')
  findOne(@Param('id') id: string): Promise<Alert> {
    return this.alerts.findOne(id);
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  acknowledge(
    @Param('id') id: string,
    @Body() dto: HandleAlertDto,
    @CurrentOperator() operator: OperatorIdentity | null,
  ): Promise<Alert> {
    return this.alerts.acknowledge(id, handling(dto, operator));
  }

  @Post(':id/resolve')
  @HttpCode(200)
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
