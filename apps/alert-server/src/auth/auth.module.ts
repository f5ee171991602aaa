import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { DeviceAuthService } from './device-auth.service';
import { DeviceCredentialsRepository } from './device-credentials.repository';
import { OperatorAuthService } from './operator-auth.service';
import { OperatorsRepository } from './operators.repository';
import { RATE_LIMITS, RateLimitGuard } from './rate-limit.guard';
import { SlidingWindowStorage } from './rate-limit.storage';

@Global()
@Module({
  // A storage per application (the e2e specs run several in one process).
  imports: [
    ThrottlerModule.forRootAsync({
      useFactory: () => ({ ...RATE_LIMITS, storage: new SlidingWindowStorage() }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    DeviceCredentialsRepository,
    OperatorsRepository,
    DeviceAuthService,
    OperatorAuthService,
    RateLimitGuard,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [DeviceAuthService, OperatorAuthService, RateLimitGuard],
})
export class AuthModule {}
