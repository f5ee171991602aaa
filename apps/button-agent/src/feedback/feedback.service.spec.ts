import type { AgentLogger } from '../logging/agent-logger';
import { Feedback, REPORTS_PER_HEARTBEAT, cannotDeliver } from './feedback.service';
import { FeedbackTracker } from './feedback-tracker';
import type { FeedbackOutput, ShownState } from './feedback-output';

function setUp() {
  const logged: Array<Record<string, unknown>> = [];
  const logger = {
    info: (fields: Record<string, unknown>) => logged.push(fields),
    error: (fields: Record<string, unknown>) => logged.push(fields),
  } as unknown as AgentLogger;
  const shown: ShownState[] = [];
  const output: FeedbackOutput = {
    name: 'test',
    start: () => Promise.resolve(),
    show: (state) => shown.push(state),
    stop: () => Promise.resolve(),
  };
  const feedback = new Feedback(new FeedbackTracker(['panic']), logger, output);
  const states = () => logged.filter((line) => line.event === 'feedback.state').map((line) => line.state);
  return { feedback, logged, shown, states };
}

describe('Feedback', () => {
  it('logs and shows each change once, and nothing before run starts it', () => {
    const { feedback, shown, states } = setUp();
    feedback.spooled('a1', 'fire');
    expect(states()).toEqual([]);

    feedback.start();
    feedback.accepted('a1', 'fire');
    feedback.accepted('a1', 'fire');
    feedback.onEvent('alert.stored', { alertId: 'a1', type: 'fire', at: '2026-12-03T08:00:00.000Z' });
    expect(states()).toEqual(['spooled', 'stored']);
    expect(shown.map((state) => state.state)).toEqual(['spooled', 'stored']);
  });

  it('shows unreachable when an alert could not get through, not when the server only says to slow down', () => {
    const { feedback, states } = setUp();
    feedback.start();
    for (const code of ['HTTP_429', 'HTTP_400', 'HTTP_404']) feedback.heartbeat(code);
    expect(states()).toEqual(['idle']);
    feedback.heartbeat('ECONNREFUSED');
    feedback.heartbeat(null);
    feedback.heartbeat('HTTP_503');
    expect(states()).toEqual(['idle', 'unreachable', 'idle', 'unreachable']);
  });

  it.each([
    ['ECONNREFUSED', true],
    ['DNS_NOT_FOUND', true],
    ['HTTP_500', true],
    ['HTTP_503', true],
    ['HTTP_401', true],
    ['HTTP_403', true],
    ['HTTP_429', false],
    ['HTTP_400', false],
    ['HTTP_413', false],
  ])('cannotDeliver(%s) is %s', (code, expected) => {
    expect(cannotDeliver(code)).toBe(expected);
  });

  it('keeps what the button showed for the timeline until a heartbeat takes it, and asks for one at once', () => {
    const { feedback } = setUp();
    const asked: number[] = [];
    feedback.onReport = () => asked.push(1);
    feedback.start();
    feedback.spooled('a1', 'fire');
    feedback.accepted('a1', 'fire');
    feedback.onEvent('alert.acknowledged', { alertId: 'a1', type: 'fire', at: '2026-12-03T08:00:00.000Z' });

    const reports = feedback.reports();
    expect(reports.map(({ alertId, state }) => `${state} ${alertId}`)).toEqual([
      'stored a1',
      'acknowledged a1',
    ]);
    expect(asked).toHaveLength(2);
    feedback.reported(reports.slice(0, 1));
    expect(feedback.reports().map(({ state }) => state)).toEqual(['acknowledged']);
  });

  it(`sends at most ${REPORTS_PER_HEARTBEAT} reports with one heartbeat`, () => {
    const { feedback } = setUp();
    feedback.start();
    for (let i = 0; i < REPORTS_PER_HEARTBEAT + 5; i++) feedback.accepted(`a${i}`, 'fire');
    expect(feedback.reports()).toHaveLength(REPORTS_PER_HEARTBEAT);
  });

  it('logs an output that throws, and keeps going', () => {
    const { feedback, logged } = setUp();
    const failing = new Feedback(
      new FeedbackTracker([]),
      { info: () => undefined, error: (fields: Record<string, unknown>) => logged.push(fields) } as never,
      {
        name: 'broken',
        start: () => Promise.resolve(),
        show: () => {
          throw new Error('line busy');
        },
        stop: () => Promise.resolve(),
      },
    );
    void feedback;
    failing.start();
    expect(() => failing.spooled('a1', 'fire')).not.toThrow();
    expect(logged.filter((line) => line.code === 'FEEDBACK_OUTPUT_FAILED')).toHaveLength(2);
  });
});
