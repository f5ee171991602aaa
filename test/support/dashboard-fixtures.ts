import type { AlertBody } from './security-post';

/** What the dashboard's browser tests post: hostile strings, and the screenshot's site. */

/** SQL, HTML and shell injection strings, to be shown as text and run nowhere. */
export const INJECTIONS = [
  '<img src=x onerror=window.__pwned=1>',
  '<script>window.__pwned=1</script>',
  "'); DROP TABLE alerts;--",
  '$(rm -rf /)',
];

/** A button label is at most 32 characters: the two longer strings go there in a shorter form. */
export function injectionForButton(value: string): string {
  return value.length <= 32 ? value : '<img src=x onerror=__pwned=1>';
}

/**
 * The site the README's screenshot shows: five devices beating, one silent (offline), an
 * alert of each type from the live ones (`ages` minutes old) and an earlier test alert.
 */
export const SCREENSHOT_SITE = (() => {
  const live: Array<[string, string]> = [
    ['pi-atelier-05', 'Atelier, bâtiment B'],
    ['pi-infirmerie-03', 'Infirmerie, 1er étage'],
    ['pi-entrepot-02', 'Entrepôt, porte du quai 3'],
    ['pi-caisse-04', 'Caisses, hall principal'],
    ['pi-accueil-01', 'Accueil, rez-de-chaussée'],
  ];
  const alerts: AlertBody[] = [
    { deviceId: 'pi-atelier-05', type: 'test', location: live[0][1], message: 'Essai mensuel', button: 'T' },
    {
      deviceId: 'pi-infirmerie-03',
      type: 'medical',
      location: live[1][1],
      message: 'Malaise d’un visiteur',
      button: '3',
    },
    {
      deviceId: 'pi-entrepot-02',
      type: 'intrusion',
      location: live[2][1],
      message: 'Porte forcée',
      button: 'B2',
    },
    {
      deviceId: 'pi-caisse-04',
      type: 'panic',
      location: live[3][1],
      message: 'Agression en caisse',
      button: '4',
    },
    {
      deviceId: 'pi-accueil-01',
      type: 'fire',
      location: live[4][1],
      message: 'Fumée dans le local technique',
      button: '17',
    },
  ];
  return {
    live,
    silent: ['pi-parking-06', 'Parking, niveau -1'] as [string, string],
    earlier: {
      deviceId: 'pi-atelier-05',
      type: 'test',
      location: 'Atelier, bâtiment B',
      message: 'Essai hebdomadaire',
      button: 'T',
    } as AlertBody,
    alerts,
    ages: [25, 12, 7, 3, 1],
  };
})();

export function minutesAgo(m: number): string {
  return new Date(Date.now() - m * 60_000).toISOString();
}
