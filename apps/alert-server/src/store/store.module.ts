import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Store } from './store';

@Global()
@Module({
  providers: [
    {
      provide: Store,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => Store.open(config.sqlitePath),
    },
  ],
  exports: [Store],
})
export class StoreModule implements OnApplicationShutdown {
  constructor(@Inject(Store) private readonly store: Store) {}

  /** Last to run: every in-flight request has been answered, queued writes are committed. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
