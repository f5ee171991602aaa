import { FeedbackTracker } from './feedback-tracker';

describe('FeedbackTracker: what the button shows', () => {
  let tracker: FeedbackTracker;
  const shown = () => {
    const { state, alertId, sound } = tracker.current();
    return `${state}${alertId ? ` ${alertId}` : ''}${sound ? ' (sound)' : ''}`;
  };

  beforeEach(() => {
    tracker = new FeedbackTracker(['panic', 'intrusion']);
  });

  it('is idle with nothing known, and follows one alert from the press to its end', () => {
    expect(shown()).toBe('idle');
    tracker.spooled('a1', 'fire');
    expect(shown()).toBe('spooled a1 (sound)');
    tracker.accepted('a1', 'fire');
    expect(shown()).toBe('stored a1 (sound)');
    tracker.serverEvent('alert.acknowledged', 'a1', 'fire');
    expect(shown()).toBe('acknowledged a1 (sound)');
    tracker.serverEvent('alert.resolved', 'a1', 'fire');
    expect(shown()).toBe('resolved a1');
  });

  it('never makes a sound for a silent alarm', () => {
    tracker.spooled('a1', 'panic');
    expect(shown()).toBe('spooled a1');
    tracker.serverEvent('alert.acknowledged', 'a1', 'panic');
    expect(shown()).toBe('acknowledged a1');
  });

  it('never goes back: a late stored after the acknowledgement, a retry answered after the resolution', () => {
    tracker.serverEvent('alert.acknowledged', 'a1', 'fire');
    tracker.serverEvent('alert.stored', 'a1', 'fire');
    expect(shown()).toBe('acknowledged a1 (sound)');
    tracker.serverEvent('alert.resolved', 'a1', 'fire');
    tracker.accepted('a1', 'fire');
    expect(shown()).toBe('resolved a1');
  });

  it('shows the most pressing: a press not yet through over one stored, over one acknowledged', () => {
    tracker.serverEvent('alert.acknowledged', 'a1', 'fire');
    tracker.accepted('a2', 'fire');
    tracker.spooled('a3', 'fire');
    expect(shown()).toBe('spooled a3 (sound)');
    tracker.accepted('a3', 'fire');
    expect(shown()).toBe('stored a3 (sound)');
    tracker.serverEvent('alert.acknowledged', 'a3', 'fire');
    expect(shown()).toBe('stored a2 (sound)');
    tracker.serverEvent('alert.acknowledged', 'a2', 'fire');
    expect(shown()).toBe('acknowledged a3 (sound)');
  });

  it('is unreachable only while no alert is pending, and not once the server answers again', () => {
    tracker.setReachable(false);
    expect(shown()).toBe('unreachable');
    tracker.spooled('a1', 'fire');
    expect(shown()).toBe('spooled a1 (sound)');
    tracker.rejected('a1');
    expect(shown()).toBe('unreachable');
    tracker.setReachable(true);
    expect(shown()).toBe('idle');
  });

  it('keeps showing that help is coming while the server cannot be reached', () => {
    tracker.serverEvent('alert.acknowledged', 'a1', 'fire');
    tracker.setReachable(false);
    expect(shown()).toBe('acknowledged a1 (sound)');
  });
});
