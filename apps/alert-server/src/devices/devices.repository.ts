import { Injectable } from '@nestjs/common';
import { DevicesTable } from '../store/schema';
import { Store } from '../store/store';

@Injectable()
export class DevicesRepository {
  constructor(private readonly store: Store) {}

  findAll(): Promise<DevicesTable[]> {
    return this.store.db.selectFrom('devices').selectAll().execute();
  }
}
