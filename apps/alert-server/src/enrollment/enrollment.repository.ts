import { Inject, Injectable } from '@nestjs/common';
import type { AppStore } from '../app-store';
import { Store } from '../store/store';
import type { DeviceEnrollmentsTable } from './enrollment.schema';
import type { RedeemArgs, RedeemOutcome } from './enrollment.writes';

@Injectable()
export class EnrollmentRepository {
  constructor(@Inject(Store) private readonly store: AppStore) {}

  create(row: DeviceEnrollmentsTable): Promise<void> {
    return this.store.write('enrollment.create', row);
  }

  /** Marks the code used and stores the device's token, in one transaction. */
  redeem(args: RedeemArgs): Promise<RedeemOutcome> {
    return this.store.write('enrollment.redeem', args);
  }
}
