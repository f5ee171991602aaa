import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';

/** The security-post page (`GET /`) and its assets, built by scripts/build-dashboard.js. */
@Module({ controllers: [DashboardController] })
export class DashboardModule {}
