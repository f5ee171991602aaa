import { ButtonEdge } from './button-input';
import { FakeButtonInput } from './fake-button-input';

describe('FakeButtonInput', () => {
  it('delivers the edges a test makes, only while started and for watched pins', async () => {
    const input = new FakeButtonInput();
    const edges: ButtonEdge[] = [];
    expect(() => input.down(17, 0)).toThrow(/not started/);
    await input.start([17], (edge) => edges.push(edge));
    input.tap(17, 10, 50);
    input.press(17, 100);
    expect(() => input.down(27, 0)).toThrow(/not watched/);
    await input.stop();
    expect(edges).toEqual([
      { pin: 17, kind: 'down', at: 10 },
      { pin: 17, kind: 'up', at: 60 },
      { pin: 17, kind: 'press', at: 100 },
    ]);
    expect([input.startCount, input.stopCount, input.started]).toEqual([1, 1, false]);
  });

  it('can fail to start, like a driver that cannot work here', async () => {
    const input = new FakeButtonInput(new Error('no GPIO'));
    await expect(input.start([17], () => undefined)).rejects.toThrow('no GPIO');
  });
});
