import { ChannelSendError } from '../../../src/notifications/channels/channel';

/** The `ChannelSendError` a send rejected with, and how long it took; fails if it resolved or threw anything else. */
export async function sendFailure(
  send: () => Promise<void>,
): Promise<{ error: ChannelSendError; elapsedMs: number }> {
  const started = Date.now();
  try {
    await send();
  } catch (error) {
    if (error instanceof ChannelSendError) return { error, elapsedMs: Date.now() - started };
    throw new Error(`expected a ChannelSendError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the send to fail, it succeeded');
}
