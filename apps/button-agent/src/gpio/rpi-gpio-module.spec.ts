import { GpioUnavailableError } from './gpio-unavailable.error';
import { RpiGpio } from './rpi-gpio-module';

describe('loadRpiGpio', () => {
  afterEach(() => jest.dontMock('rpi-gpio'));

  it("gives each caller an instance of the package's own, so one destroy() cannot free another's pins", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { loadRpiGpio } = require('./rpi-gpio-module') as typeof import('./rpi-gpio-module');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const shared = require('rpi-gpio') as RpiGpio;
    const first = loadRpiGpio();
    const second = loadRpiGpio();
    expect(first).not.toBe(shared);
    expect(first).not.toBe(second);
    expect(first.setup).not.toBe(second.setup);
    expect(first.MODE_BCM).toBe('mode_bcm');
  });

  it('turns a package that cannot load into RPI_GPIO_MODULE_MISSING, with the reason and what to do', () => {
    let load: (() => RpiGpio) | undefined;
    jest.isolateModules(() => {
      jest.doMock('rpi-gpio', () => {
        throw new Error("Cannot find module 'rpi-gpio'\nRequire stack:\n- /opt/vigie-agent/vigie-agent.js");
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      load = (require('./rpi-gpio-module') as typeof import('./rpi-gpio-module')).loadRpiGpio;
    });
    const failure = (() => {
      try {
        load!();
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe(GpioUnavailableError.name);
    expect(failure).toMatchObject({
      code: 'RPI_GPIO_MODULE_MISSING',
      message:
        "the rpi-gpio package cannot be loaded (Cannot find module 'rpi-gpio'): install it beside the agent " +
        '(cd /opt/vigie-agent && npm install rpi-gpio@2, which builds its native epoll module), ' +
        'or set VIGIE_GPIO_DRIVER=gpiod (apt install gpiod)',
    });
  });
});
