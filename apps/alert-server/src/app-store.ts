import { join } from 'node:path';
import { ALERT_MIGRATIONS, AlertTables } from './alerts/alerts.schema';
import { ALERT_WRITES } from './alerts/alerts.writes';
import { CREDENTIAL_MIGRATIONS, CredentialTables } from './auth/credentials.schema';
import { CREDENTIAL_WRITES } from './auth/credentials.writes';
import { OPERATOR_MIGRATIONS, OperatorTables } from './auth/operators.schema';
import { OPERATOR_WRITES } from './auth/operators.writes';
import { DEVICE_MIGRATIONS, DeviceTables } from './devices/devices.schema';
import { DEVICE_WRITES } from './devices/devices.writes';
import { ENROLLMENT_MIGRATIONS, EnrollmentTables } from './enrollment/enrollment.schema';
import { ENROLLMENT_WRITES } from './enrollment/enrollment.writes';
import { NOTIFICATION_MIGRATIONS, NotificationTables } from './notifications/notifications.schema';
import { NOTIFICATION_WRITES } from './notifications/notifications.writes';
import { composeMigrations } from './store/migrations';
import type { Store } from './store/store';
import type { StoreRegistry } from './store/write-operation';

/**
 * What the server's store holds, composed here from the features that own each part: their
 * tables, their writes, their migrations. The store knows none of them. Imported by the app
 * module and by the writer thread's script (`store-writer.worker.ts`), so it stays free of the
 * framework: only the features' schema and writes modules, and the store's types.
 */
export interface Database
  extends AlertTables, DeviceTables, CredentialTables, OperatorTables, NotificationTables, EnrollmentTables {}

export const APP_WRITES = {
  ...ALERT_WRITES,
  ...DEVICE_WRITES,
  ...CREDENTIAL_WRITES,
  ...OPERATOR_WRITES,
  ...NOTIFICATION_WRITES,
  ...ENROLLMENT_WRITES,
};
export type AppWrites = typeof APP_WRITES;

export const APP_STORE: StoreRegistry<Database, AppWrites> = {
  writes: APP_WRITES,
  // A migration shipped before the features were split runs its parts in this order.
  migrations: composeMigrations(
    ALERT_MIGRATIONS,
    DEVICE_MIGRATIONS,
    CREDENTIAL_MIGRATIONS,
    OPERATOR_MIGRATIONS,
    NOTIFICATION_MIGRATIONS,
    ENROLLMENT_MIGRATIONS,
  ),
  // Built, webpack emits it beside main.js (webpack.config.js); from the sources, beside this file.
  writerThread: join(__dirname, 'store-writer.worker'),
};

/** The store as the features see it: their tables and writes, typed. */
export type AppStore = Store<Database, AppWrites>;
