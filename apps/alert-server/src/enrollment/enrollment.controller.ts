import { Body, Controller, Inject, Post, Req, UnauthorizedException } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { CreateEnrollmentDto, EnrollDto, type EnrolledDevice, type Enrollment } from '@app/contracts';
import { EnrolledDeviceResource, EnrollmentResource } from '../api-docs/resources';
import { ApiErrors } from '../api-docs/responses';
import { CurrentOperator, PublicAccess } from '../auth/access';
import type { OperatorIdentity } from '../auth/operator-auth.service';
import { EnrollRateLimit } from '../auth/rate-limit.guard';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { serverUrl } from '../http/server-url';
import { EnrollmentRefusedError, EnrollmentService } from './enrollment.service';

@ApiTags('devices')
@Controller('devices')
export class EnrollmentController {
  constructor(
    private readonly enrollment: EnrollmentService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('enrollments')
  @ApiOperation({
    summary: 'A one-time code to add a Pi',
    description:
      'The answer holds the command that installs the agent on the Pi and enrolls it with the code (single-use, valid for an hour). If the device already has a token, the enrolled Pi gets a new one in its place.',
  })
  @ApiCreatedResponse({ type: EnrollmentResource })
  @ApiErrors(400, [401, 'no operator session: sign in first'], 403, 413, 415, 503)
  create(
    @Body() dto: CreateEnrollmentDto,
    @CurrentOperator() operator: OperatorIdentity | null,
    @Req() req: Request,
  ): Promise<Enrollment> {
    return this.enrollment.create(
      dto.deviceId,
      dto.location ?? null,
      operator?.name ?? null,
      serverUrl(req, this.config),
    );
  }

  @Post('enroll')
  @PublicAccess()
  @EnrollRateLimit()
  @ApiOperation({
    summary: 'A Pi exchanges its code for its device token',
    description: 'Once per code: a used, unknown or expired code is refused.',
  })
  @ApiCreatedResponse({ type: EnrolledDeviceResource })
  @ApiErrors(
    400,
    [401, 'the code is unknown, already used or expired: make a new one'],
    403,
    413,
    415,
    [429, 'too many enrollment attempts from this address: wait for `Retry-After`'],
    503,
  )
  async enroll(@Body() dto: EnrollDto, @Req() req: Request): Promise<EnrolledDevice> {
    try {
      return await this.enrollment.redeem(dto.code, req.ip ?? null, serverUrl(req, this.config));
    } catch (error) {
      // One answer for every refusal: which codes exist is not for an unauthenticated caller.
      if (error instanceof EnrollmentRefusedError)
        throw new UnauthorizedException('enrollment code unknown, used or expired: make a new one');
      throw error;
    }
  }
}
