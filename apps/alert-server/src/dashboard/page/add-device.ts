import { DEVICE_ID_PATTERN } from '@app/contracts/wire';
import { ApiError, createEnrollment } from './api';
import { byId } from './dom';
import { formatDateTime, t } from './i18n';

/**
 * "Add a button": makes a one-time enrollment code and shows the command that installs the
 * Pi with it, ready to copy. The code is shown once, as the server answers it.
 */
export class AddDeviceForm {
  private readonly form = byId<HTMLFormElement>('add-device-form');
  private readonly id = byId<HTMLInputElement>('add-device-id');
  private readonly location = byId<HTMLInputElement>('add-device-location');
  private readonly submit = byId<HTMLButtonElement>('add-device-submit');
  private readonly error = byId('add-device-error');
  private readonly result = byId('add-device-result');
  private readonly command = byId('add-device-command');
  private readonly copied = byId('add-device-copied');

  constructor() {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.make();
    });
    byId<HTMLButtonElement>('add-device-copy').addEventListener('click', () => void this.copy());
  }

  /** Signed out: nothing of the last command stays on screen. */
  clear(): void {
    this.form.reset();
    this.error.textContent = '';
    this.hideResult();
  }

  private async make(): Promise<void> {
    const id = this.id.value.trim();
    this.error.textContent = '';
    this.hideResult();
    if (!DEVICE_ID_PATTERN.test(id)) {
      this.error.textContent = t('deviceIdInvalid');
      this.id.setAttribute('aria-invalid', 'true');
      this.id.focus();
      return;
    }
    this.id.removeAttribute('aria-invalid');
    this.submit.disabled = true;
    this.submit.textContent = t('makingCommand');
    try {
      const enrollment = await createEnrollment(id, this.location.value.trim());
      byId('add-device-intro').textContent = t('commandIntro', {
        id: enrollment.deviceId,
        at: formatDateTime(enrollment.expiresAt),
      });
      this.command.textContent = enrollment.command;
      this.result.hidden = false;
      this.form.reset();
    } catch (error) {
      this.error.textContent = t('addFailed', { error: (error as ApiError).message });
    } finally {
      this.submit.disabled = false;
      this.submit.textContent = t('makeCommand');
    }
  }

  /** The clipboard API needs a secure context (HTTPS or localhost); on a LAN address, select it. */
  private async copy(): Promise<void> {
    const text = this.command.textContent ?? '';
    try {
      if (!navigator.clipboard) throw new Error('no clipboard here');
      await navigator.clipboard.writeText(text);
      this.copied.textContent = t('copied');
    } catch {
      const range = document.createRange();
      range.selectNodeContents(this.command);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      this.copied.textContent = t('copyByHand');
    }
  }

  private hideResult(): void {
    this.result.hidden = true;
    this.command.textContent = '';
    this.copied.textContent = '';
  }
}
