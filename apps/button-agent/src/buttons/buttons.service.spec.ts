import { loadAgentConfig } from '../config/agent-config';
import { Delivery } from '../delivery/delivery';
import { ButtonEdge, ButtonInput } from '../gpio/button-input';
import { AgentLogger } from '../logging/agent-logger';
import { Spool } from '../spool/spool';
import { ButtonsService } from './buttons.service';

/** A service on a simulated button, with the spool, delivery and logger it talks to recorded. */
async function started(env: Record<string, string>) {
  const config = loadAgentConfig({ VIGIE_SERVER_URL: 'http://192.168.1.10:3000', ...env });
  const spool = { add: jest.fn().mockResolvedValue(undefined) };
  const delivery = { wake: jest.fn() };
  const logger = { info: jest.fn(), fatal: jest.fn() };
  let onEdge: (edge: ButtonEdge) => void = () => undefined;
  const input: ButtonInput = {
    name: 'test',
    start: (_pins, listener) => {
      onEdge = listener;
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
  };
  const service = new ButtonsService(
    config,
    spool as unknown as Spool,
    delivery as unknown as Delivery,
    logger as unknown as AgentLogger,
    () => undefined,
  );
  await service.start(input);
  const press = (pin: number, at: number) => onEdge({ pin, kind: 'press', at });
  const events = () => logger.info.mock.calls.map(([fields]) => (fields as { event: string }).event);
  return { spool, logger, press, events, service };
}

describe('ButtonsService with VIGIE_PRESSES', () => {
  it('logs button.press_counted for a press that makes no alert yet, and spools the one completing the pattern', async () => {
    const { spool, logger, press, events, service } = await started({
      VIGIE_BUTTONS: '17:fire:Cuisine',
      VIGIE_PRESSES: '3',
      VIGIE_PRESS_WINDOW_MS: '2000',
    });
    press(17, 0);
    press(17, 400);
    expect(spool.add).not.toHaveBeenCalled();
    expect(logger.info.mock.calls[1]).toEqual([
      {
        event: 'button.press_counted',
        pin: 17,
        type: 'fire',
        label: 'Cuisine',
        count: 2,
        needed: 3,
        windowMs: 2000,
      },
      'press 2 of 3: no alert until 3 presses within 2000 ms',
    ]);
    press(17, 800);
    expect(spool.add).toHaveBeenCalledTimes(1);
    await service.stop();
    expect(events()).toEqual([
      'button.press_counted',
      'button.press_counted',
      'button.pressed',
      'alert.spooled',
    ]);
  });

  it('spools every press and counts nothing by default', async () => {
    const { spool, press, events, service } = await started({});
    press(17, 0);
    await service.stop();
    expect(spool.add).toHaveBeenCalledTimes(1);
    expect(events()).toEqual(['button.pressed', 'alert.spooled']);
  });
});
