import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CreateAlertDto } from './dto/create-alert.dto';
import { uuidv7 } from './uuid';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('makes version 7 UUIDs that sort by their time', () => {
    const earlier = uuidv7(Date.UTC(2026, 10, 24, 10, 0, 0));
    const later = uuidv7(Date.UTC(2026, 10, 24, 10, 0, 1));
    expect(earlier).toMatch(UUID_V7);
    expect(earlier < later).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => uuidv7())).size).toBe(1000);
  });

  it('strictly increases within one millisecond, even past the counter', () => {
    const now = Date.UTC(2030, 0, 1);
    const ids = Array.from({ length: 5000 }, () => uuidv7(now));
    expect(ids.every((id) => UUID_V7.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('CreateAlertDto', () => {
  const faults = (body: object) =>
    validateSync(plainToInstance(CreateAlertDto, body)).flatMap((error) =>
      Object.values(error.constraints ?? {}),
    );

  it('accepts a complete alert', () => {
    expect(
      faults({
        id: '0196f7a2-6c3e-7b41-9d5a-2f0c8e1a4b77',
        deviceId: 'pi-accueil-01',
        type: 'fire',
        severity: 'critical',
        location: 'Accueil, rez-de-chaussée',
        message: 'Fumée dans le local technique',
        button: '17',
        triggeredAt: '2026-11-24T10:15:02.118Z',
      }),
    ).toEqual([]);
  });

  it.each([
    '2026-11-24T10:15:02Z',
    '2026-11-24T11:15:02.118+01:00',
    '2026-11-24T10:15+0000',
    '1970-01-01T00:00:00Z',
    '0001-01-01T00:00:00Z',
  ])('accepts the zoned timestamp %s', (triggeredAt) => {
    expect(faults({ deviceId: 'pi', type: 'test', triggeredAt })).toEqual([]);
  });

  it.each([
    '2026-11-24T10:15:02',
    '2026-02-30T10:00:00Z',
    '2026-11-24T24:00:00Z',
    '2026-11-24 10:15:02Z',
    'yesterday',
  ])('refuses the timestamp %s', (triggeredAt) => {
    expect(faults({ deviceId: 'pi', type: 'test', triggeredAt })).toEqual([
      'triggeredAt must be an ISO 8601 date-time with a zone, e.g. 2026-11-24T10:15:02.118Z',
    ]);
  });

  it('refuses text that cannot be stored as UTF-8 unchanged', () => {
    expect(faults({ deviceId: 'pi', type: 'test', message: 'bad \ud800 surrogate' })).toEqual([
      'message must be well-formed Unicode text',
    ]);
  });

  it('names each faulty field', () => {
    expect(faults({ deviceId: 'pi accueil', type: 'flood', button: 'x'.repeat(33) })).toEqual([
      'deviceId must be 1 to 64 of A-Z a-z 0-9 . _ -',
      'type must be one of the following values: fire, intrusion, medical, panic, test',
      'button must be shorter than or equal to 32 characters',
    ]);
  });
});
