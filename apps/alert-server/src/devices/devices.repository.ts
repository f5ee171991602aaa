import { Inject, Injectable } from '@nestjs/common';
import type { AppStore } from '../app-store';
import { Store } from '../store/store';
import type { DevicesTable } from './devices.schema';
import type { FeedbackReports } from './devices.writes';

@Injectable()
export class DevicesRepository {
  constructor(@Inject(Store) private readonly store: AppStore) {}

  findAll(): Promise<DevicesTable[]> {
    return this.store.db.selectFrom('devices').selectAll().execute();
  }

  /** Stores the device's whole known state, as `row` returns it when its commit's batch is sent. */
  save(row: () => DevicesTable): Promise<void> {
    return this.store.write('device.upsert', row);
  }

  /** Records in the alerts' timelines what the device's button showed; how many were new. */
  recordFeedback(reports: FeedbackReports): Promise<number> {
    return this.store.write('device.feedback', reports);
  }
}
