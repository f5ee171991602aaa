import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Store } from './store';
import type { StoreRegistry, WriteRegistry } from './write-operation';

/** Provides `Store`, opened with the registry the application composed of its features. */
@Global()
@Module({})
export class StoreModule implements OnApplicationShutdown {
  constructor(@Inject(Store) private readonly store: Store) {}

  static forRoot<DB, W extends WriteRegistry>(registry: StoreRegistry<DB, W>): DynamicModule {
    return {
      module: StoreModule,
      providers: [
        {
          provide: Store,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => Store.open(config.sqlitePath, registry),
        },
      ],
      exports: [Store],
    };
  }

  /** Last to run: every in-flight request has been answered, queued writes are committed. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
