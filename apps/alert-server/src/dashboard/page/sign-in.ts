import { ApiError, signIn } from './api';
import { byId } from './dom';
import { duration, t } from './i18n';

/** The name last signed in (or typed as operator) on this browser: only the password is asked again. */
export const OPERATOR_KEY = 'vigie.operator';

export type NoticeKind = 'error' | 'info';

/**
 * The sign-in screen (#sign-in). Keyboard first: the name (or, when remembered, the password)
 * has the focus when it shows, Enter submits, and after a failure the password is cleared and
 * focused again with the reason shown above the fields (role=alert: read out at once).
 */
export class SignInScreen {
  private readonly screen = byId('sign-in');
  private readonly form = byId<HTMLFormElement>('sign-in-form');
  private readonly name = byId<HTMLInputElement>('sign-in-name');
  private readonly password = byId<HTMLInputElement>('sign-in-password');
  private readonly submit = byId<HTMLButtonElement>('sign-in-submit');
  private readonly notice = byId('sign-in-notice');
  private busy = false;

  /** `signedIn` enters the board; it resolves false when the browser kept no session. */
  constructor(private readonly signedIn: () => Promise<boolean>) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.attempt();
    });
  }

  get visible(): boolean {
    return !this.screen.hidden;
  }

  /** Whether an attempt is under way (the start-up retry then waits for it). */
  get attempting(): boolean {
    return this.busy;
  }

  show(notice = '', kind: NoticeKind = 'error'): void {
    const wasHidden = this.screen.hidden;
    this.screen.hidden = false;
    this.setNotice(notice, kind);
    if (!wasHidden) return;
    this.password.value = '';
    if (!this.name.value) this.name.value = localStorage.getItem(OPERATOR_KEY) ?? '';
    (this.name.value ? this.password : this.name).focus();
  }

  /** The operator whose session ended: only the password is asked again. */
  rememberName(name: string): void {
    this.name.value = name;
    localStorage.setItem(OPERATOR_KEY, name);
  }

  hide(): void {
    this.screen.hidden = true;
    this.password.value = '';
    this.setNotice('');
  }

  /** Clears the notice if it still says `text`. */
  clearNotice(text: string): void {
    if (this.notice.textContent === text) this.setNotice('');
  }

  setNotice(text: string, kind: NoticeKind = 'error'): void {
    this.notice.textContent = text;
    this.notice.dataset.kind = kind;
  }

  private async attempt(): Promise<void> {
    if (this.busy) return;
    const name = this.name.value.trim();
    const password = this.password.value;
    if (!name || !password) {
      this.setNotice(t('signInMissing'));
      (name ? this.password : this.name).focus();
      return;
    }
    this.busy = true;
    this.submit.disabled = true;
    this.submit.textContent = t('signingIn');
    this.setNotice('');
    let failure: string | null = null;
    try {
      const result = await signIn(name, password);
      if (result.outcome === 'signed-in') {
        localStorage.setItem(OPERATOR_KEY, name);
        if (!(await this.signedIn())) failure = t('sessionNotKept');
      } else if (result.outcome === 'wrong') {
        failure = t('wrongCredentials');
      } else if (result.outcome === 'limited') {
        failure =
          result.retryAfterMs === null
            ? t('tooManyAttemptsLater')
            : t('tooManyAttempts', { t: duration(Math.max(1000, result.retryAfterMs)) });
      } else {
        failure = t('signInFailed', { error: result.message });
      }
    } catch (error) {
      failure =
        error instanceof ApiError && error.status === 0
          ? t('signInUnreachable')
          : t('signInFailed', { error: error instanceof Error ? error.message : String(error) });
    } finally {
      this.busy = false;
      this.submit.disabled = false;
      this.submit.textContent = t('signIn');
    }
    if (failure !== null && this.visible) {
      this.password.value = '';
      this.setNotice(failure);
      this.password.focus();
    }
  }
}
