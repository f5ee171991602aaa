/**
 * The server's writer thread (see `Store`): the store's generic loop with the writes the
 * application composed. A separate bundle (webpack.config.js) and, under the tests, compiled on
 * its own by ts-node: it imports the registry and the store's thread code, nothing of the
 * framework.
 */
import { APP_WRITES } from './app-store';
import { runWriterThread } from './store/writer-thread';

runWriterThread(APP_WRITES);
