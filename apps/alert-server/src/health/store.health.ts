import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Store } from '../store/store';

@Injectable()
export class StoreHealthIndicator {
  constructor(
    private readonly store: Store,
    private readonly health: HealthIndicatorService,
  ) {}

  async isReady(): Promise<HealthIndicatorResult<'store'>> {
    const check = this.health.check('store');
    try {
      await this.store.ping();
      return check.up();
    } catch (error) {
      // The code (STORE_FULL, STORE_WRITES_STALLED...) tells a supervisor what to page about.
      const { message, code } = error as Error & { code?: unknown };
      return check.down({ message, ...(typeof code === 'string' ? { code } : {}) });
    }
  }
}
