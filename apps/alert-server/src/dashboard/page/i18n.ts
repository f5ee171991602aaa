import type { AlertType } from '@app/contracts/wire';

const en = {
  title: 'Vigie — security post',
  operator: 'Operator',
  operatorPlaceholder: 'Your name',
  connected: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Connection lost — reconnecting…',
  activeAlerts: 'Active alerts',
  noActiveAlerts: 'No active alert',
  open: 'Open',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
  acknowledge: 'Acknowledge',
  resolve: 'Resolve',
  note: 'Note (optional)',
  location: 'Location',
  device: 'Device',
  button: 'Button',
  message: 'Message',
  ackBy: 'Acknowledged by {by} at {at}',
  nameRequired: 'Enter your name (Operator) before acknowledging or resolving.',
  actionFailed: 'Could not {action} the alert: {error}',
  loadFailed: 'Could not load {what}: {error}',
  networkError: 'server unreachable',
  enableSound: 'Enable sound',
  soundOn: 'Sound on',
  mute: 'Mute',
  unmute: 'Unmute',
  devices: 'Devices',
  noDevices: 'No device known yet',
  online: 'Online',
  offline: 'Offline',
  lastSeen: 'Last seen {age}',
  neverSeen: 'Never seen: not installed or not started yet',
  addButton: 'Add a button',
  agentOutdated: 'agent {v} available: run the install command again',
  deviceIdLabel: 'Device id',
  makeCommand: 'Make the install command',
  makingCommand: 'Making…',
  deviceIdInvalid: 'Device id: 1 to 64 letters, digits, dots, dashes or underscores (e.g. pi-accueil-01).',
  commandIntro: 'On the Pi {id}, run this command (once, before {at}):',
  copy: 'Copy',
  copied: 'Copied.',
  copyByHand: 'Select the command and copy it (this browser does not allow copying here).',
  addFailed: 'Could not make the command: {error}',
  spool: 'Spool: {n}',
  version: 'Agent {v}',
  history: 'History (resolved)',
  allTypes: 'All types',
  allDevices: 'All devices',
  type: 'Type',
  from: 'From',
  to: 'To',
  more: 'More',
  noMore: 'No more alerts',
  noHistory: 'No resolved alert',
  exportCsv: 'Export CSV',
  exporting: 'Exporting…',
  receivedAt: 'Received',
  resolvedAt: 'Resolved',
  resolvedBy: 'By',
  resolutionNote: 'Note',
  chart: 'Alerts per day, last 30 days',
  medianAck: 'Median time to acknowledge: {t}',
  medianAckNone: 'Median time to acknowledge: no acknowledgement yet',
  chartTruncated: '(only the latest {n} alerts counted)',
  dismiss: 'Dismiss',
  ago: '{t} ago',
  justNow: 'just now',
  fire: 'Fire',
  intrusion: 'Intrusion',
  medical: 'Medical',
  panic: 'Panic',
  test: 'Test',
  signInTitle: 'Sign in',
  signInIntro: 'Sign in to see and handle the alerts.',
  signInName: 'Name',
  password: 'Password',
  signIn: 'Sign in',
  signingIn: 'Signing in…',
  wrongCredentials: 'Wrong name or password.',
  signInMissing: 'Enter your name and your password.',
  tooManyAttempts: 'Too many attempts: try again in {t}.',
  tooManyAttemptsLater: 'Too many attempts: try again in a few minutes.',
  signInUnreachable: 'Server unreachable: check the network, then try again.',
  startUnreachable: 'Server unreachable — trying again…',
  signInFailed: 'Could not sign in: {error}',
  sessionNotKept: 'Signed in, but this browser did not keep the session: allow cookies for this site.',
  sessionEnded: 'Session ended: sign in again.',
  signedOut: 'Signed out.',
  signedInAs: 'Signed in as',
  signOut: 'Sign out',
  signOutFailed: 'Could not sign out: {error}',
  timeline: 'Timeline',
  timelineOf: 'Timeline of the alert',
  timelineLoading: 'Loading the timeline…',
  timelineEmpty: 'Nobody notified yet',
  notifiedSummary: 'Notified: {channels}',
  failedSummary: 'failed: {channels}',
  escalatedSummary: 'step {step}',
  'kind.received': 'Received',
  'kind.escalated': 'Escalated to step {step}',
  'kind.notification.sent': 'Notified on {channel}',
  'kind.notification.failed': 'Notification on {channel} failed',
  'kind.acknowledged': 'Acknowledged',
  'kind.resolved': 'Resolved',
  'kind.device.feedback': 'Shown on the button',
  'shown.stored': 'alert received',
  'shown.acknowledged': 'help is coming',
  repeat: 'repeat {n}',
  ackDelay: 'Time to acknowledge',
  channelsNotified: 'Channels notified',
  exportingProgress: 'Exporting… {done}/{total}',
};

export type MessageKey = keyof typeof en;

const fr: Record<MessageKey, string> = {
  title: 'Vigie — poste de sécurité',
  operator: 'Opérateur',
  operatorPlaceholder: 'Votre nom',
  connected: 'Connecté',
  connecting: 'Connexion…',
  reconnecting: 'Connexion perdue — reconnexion…',
  activeAlerts: 'Alertes en cours',
  noActiveAlerts: 'Aucune alerte en cours',
  open: 'Ouverte',
  acknowledged: 'Prise en compte',
  resolved: 'Résolue',
  acknowledge: 'Prendre en compte',
  resolve: 'Résoudre',
  note: 'Note (facultative)',
  location: 'Lieu',
  device: 'Boîtier',
  button: 'Bouton',
  message: 'Message',
  ackBy: 'Prise en compte par {by} à {at}',
  nameRequired: 'Saisissez votre nom (Opérateur) avant de prendre en compte ou de résoudre.',
  actionFailed: "Impossible de {action} l'alerte : {error}",
  loadFailed: 'Impossible de charger {what} : {error}',
  networkError: 'serveur injoignable',
  enableSound: 'Activer le son',
  soundOn: 'Son activé',
  mute: 'Couper le son',
  unmute: 'Rétablir le son',
  devices: 'Boîtiers',
  noDevices: 'Aucun boîtier connu',
  online: 'En ligne',
  offline: 'Hors ligne',
  lastSeen: 'Vu {age}',
  spool: 'En attente : {n}',
  version: 'Agent {v}',
  history: 'Historique (résolues)',
  allTypes: 'Tous les types',
  allDevices: 'Tous les boîtiers',
  type: 'Type',
  from: 'Du',
  to: 'Au',
  more: 'Plus',
  noMore: "Plus d'alerte",
  noHistory: 'Aucune alerte résolue',
  exportCsv: 'Exporter en CSV',
  exporting: 'Export…',
  receivedAt: 'Reçue',
  resolvedAt: 'Résolue',
  resolvedBy: 'Par',
  resolutionNote: 'Note',
  chart: 'Alertes par jour, 30 derniers jours',
  medianAck: 'Délai médian de prise en compte : {t}',
  medianAckNone: 'Délai médian de prise en compte : aucune prise en compte',
  chartTruncated: '(seules les {n} dernières alertes comptées)',
  dismiss: 'Fermer',
  ago: 'il y a {t}',
  justNow: "à l'instant",
  fire: 'Incendie',
  intrusion: 'Intrusion',
  medical: 'Urgence médicale',
  panic: 'Panique',
  test: 'Test',
  signInTitle: 'Identification',
  signInIntro: 'Identifiez-vous pour voir et traiter les alertes.',
  signInName: 'Nom',
  password: 'Mot de passe',
  signIn: 'Se connecter',
  signingIn: 'Connexion…',
  wrongCredentials: 'Nom ou mot de passe incorrect.',
  signInMissing: 'Saisissez votre nom et votre mot de passe.',
  tooManyAttempts: 'Trop de tentatives : réessayez dans {t}.',
  tooManyAttemptsLater: 'Trop de tentatives : réessayez dans quelques minutes.',
  signInUnreachable: 'Serveur injoignable : vérifiez le réseau, puis réessayez.',
  startUnreachable: 'Serveur injoignable — nouvel essai…',
  signInFailed: 'Connexion impossible : {error}',
  sessionNotKept:
    "Connecté, mais ce navigateur n'a pas gardé la session : autorisez les cookies pour ce site.",
  sessionEnded: 'Session terminée : reconnectez-vous.',
  signedOut: 'Déconnecté.',
  signedInAs: 'Opérateur :',
  signOut: 'Se déconnecter',
  signOutFailed: 'Impossible de se déconnecter : {error}',
  timeline: 'Chronologie',
  timelineOf: "Chronologie de l'alerte",
  timelineLoading: 'Chargement de la chronologie…',
  timelineEmpty: 'Personne de prévenu pour le moment',
  notifiedSummary: 'Prévenus : {channels}',
  failedSummary: 'échec : {channels}',
  escalatedSummary: 'étape {step}',
  'kind.received': 'Reçue',
  'kind.escalated': "Passée à l'étape {step}",
  'kind.notification.sent': 'Prévenu par {channel}',
  'kind.notification.failed': 'Échec de la notification par {channel}',
  'kind.acknowledged': 'Prise en compte',
  'kind.resolved': 'Résolue',
  'kind.device.feedback': 'Affichée sur le bouton',
  'shown.stored': 'alerte reçue',
  'shown.acknowledged': 'les secours arrivent',
  repeat: 'rappel {n}',
  ackDelay: 'Délai de prise en compte',
  channelsNotified: 'Canaux prévenus',
  exportingProgress: 'Export… {done}/{total}',
  neverSeen: 'Jamais vu : pas encore installé ou démarré',
  addButton: 'Ajouter un bouton',
  agentOutdated: "agent {v} disponible : relancez la commande d'installation",
  deviceIdLabel: 'Identifiant du boîtier',
  makeCommand: "Créer la commande d'installation",
  makingCommand: 'Création…',
  deviceIdInvalid:
    'Identifiant : 1 à 64 lettres, chiffres, points, tirets ou soulignés (par exemple pi-accueil-01).',
  commandIntro: 'Sur le Pi {id}, lancez cette commande (une seule fois, avant {at}) :',
  copy: 'Copier',
  copied: 'Copiée.',
  copyByHand: 'Sélectionnez la commande et copiez-la (ce navigateur ne permet pas de copier ici).',
  addFailed: 'Impossible de créer la commande : {error}',
};

/** French when the browser's language starts with "fr", English otherwise. */
export const lang: 'fr' | 'en' = (navigator.language || 'en').toLowerCase().startsWith('fr') ? 'fr' : 'en';
const messages: Record<MessageKey, string> = lang === 'fr' ? fr : en;

export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return messages[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function typeLabel(type: AlertType): string {
  return t(type);
}

/** "5 s", "3 min", "2 h 05", "4 d" in the page's language. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')}`;
  return `${Math.floor(h / 24)} ${lang === 'fr' ? 'j' : 'd'}`;
}

export function since(iso: string, now = Date.now()): string {
  const ms = now - Date.parse(iso);
  return ms < 1000 ? t('justNow') : t('ago', { t: duration(ms) });
}

const dateTime = new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', {
  dateStyle: 'short',
  timeStyle: 'medium',
});

export function formatDateTime(iso: string | null): string {
  return iso ? dateTime.format(new Date(iso)) : '';
}

/** Fills every element marked data-i18n (static labels of index.html). */
export function translateStatic(root: ParentNode): void {
  document.documentElement.lang = lang;
  root.querySelectorAll<HTMLElement>('[data-i18n]').forEach((el) => {
    el.textContent = t(el.dataset.i18n as MessageKey);
  });
  root.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]').forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder as MessageKey);
  });
}
