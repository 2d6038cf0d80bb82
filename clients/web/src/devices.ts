// Microphone, camera and speaker: what the browser offers, which one this browser chose
// (remembered across visits), and what went wrong with them, in words.

export type DeviceKind = 'audioinput' | 'videoinput' | 'audiooutput';

export const deviceKinds: readonly DeviceKind[] = ['audioinput', 'videoinput', 'audiooutput'];

export const deviceNames: Record<DeviceKind, string> = {
  audioinput: 'Microphone',
  videoinput: 'Camera',
  audiooutput: 'Speaker',
};

const storageKey = 'dmvoice.devices';

export class Devices {
  /** What the browser lists; labels stay empty until the page may use a microphone or camera. */
  available: MediaDeviceInfo[] = [];
  /** The chosen device per kind; '' is the system default. */
  chosen: Record<DeviceKind, string> = { audioinput: '', videoinput: '', audiooutput: '' };
  /** The latest device problem, in words, or null. */
  problem: string | null = null;
  /** Whether this browser lets a page choose where audio plays. */
  readonly canChooseOutput = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

  constructor(private readonly changed: () => void) {
    try {
      const stored = JSON.parse(localStorage.getItem(storageKey) ?? '{}') as Partial<Record<DeviceKind, string>>;
      for (const kind of deviceKinds) this.chosen[kind] = typeof stored[kind] === 'string' ? stored[kind] : '';
    } catch {
      // A damaged entry: start from the defaults.
    }
    navigator.mediaDevices?.addEventListener('devicechange', () => void this.refresh(true));
  }

  get labelled(): boolean {
    return this.available.some((d) => d.label !== '');
  }

  list(kind: DeviceKind): MediaDeviceInfo[] {
    return this.available.filter((d) => d.kind === kind && d.deviceId !== '' && d.deviceId !== 'default' && d.deviceId !== 'communications');
  }

  /** Reads the device list again; a chosen device that went away is reported and forgotten. */
  async refresh(afterChange = false): Promise<void> {
    if (!navigator.mediaDevices?.enumerateDevices) {
      this.report('This browser cannot list microphones and cameras here (it needs a secure page).');
      return;
    }

    this.available = await navigator.mediaDevices.enumerateDevices();
    if (afterChange && this.labelled) {
      for (const kind of deviceKinds) {
        const id = this.chosen[kind];
        if (id && !this.list(kind).some((d) => d.deviceId === id)) {
          this.chosen[kind] = '';
          this.save();
          this.problem = `Your ${deviceNames[kind].toLowerCase()} was disconnected. Using the system default instead.`;
        }
      }
    }

    this.changed();
  }

  /** Asks for the microphone and camera once, so that their names can be listed. */
  async askPermission(): Promise<boolean> {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      stream.getTracks().forEach((t) => t.stop());
      this.problem = null;
      await this.refresh();
      return true;
    } catch (error) {
      this.report(deviceErrorText(error));
      return false;
    }
  }

  choose(kind: DeviceKind, deviceId: string): void {
    this.chosen[kind] = deviceId;
    this.problem = null;
    this.save();
    this.changed();
  }

  label(kind: DeviceKind, deviceId: string): string {
    return this.list(kind).find((d) => d.deviceId === deviceId)?.label || deviceNames[kind];
  }

  report(problem: string | null): void {
    this.problem = problem;
    this.changed();
  }

  private save(): void {
    localStorage.setItem(storageKey, JSON.stringify(this.chosen));
  }
}

/** A getUserMedia or publishing failure as a sentence a person can act on. */
export function deviceErrorText(error: unknown): string {
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  const inner = (error as { cause?: unknown } | null)?.cause;
  if (name === 'NotAllowedError' || name === 'SecurityError' || /permission/i.test(String((error as Error)?.message ?? ''))) {
    return 'The browser refused the microphone or camera. Allow them for this site in the browser’s settings, then try again.';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    return 'The chosen microphone or camera is not there any more. Pick another one under Devices.';
  }
  if (name === 'NotReadableError') return 'The microphone or camera is in use by another program, or failed to start.';
  if (inner) return deviceErrorText(inner);
  return `The microphone or camera could not be used: ${error instanceof Error ? error.message : String(error)}`;
}
