// Ringing you can hear and see: a ring tone made with WebAudio while a call rings me (not for a
// silent ring), a desktop notification while the tab is hidden (with the browser's permission),
// and the tab's title. All three stop the moment the ring stops, whichever device stopped it.

import type { Session } from './session';

/** Two short bursts of two tones, then a pause: the pattern repeats every 3 s. */
const pattern = { periodS: 3, bursts: [0, 0.5], burstS: 0.4, tones: [440, 480], volume: 0.12 };

export class Ringer {
  private context: AudioContext | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly notifications = new Map<string, Notification>();

  constructor(
    private readonly session: Session,
    private readonly baseTitle: () => string,
  ) {
    document.addEventListener('visibilitychange', () => this.update());
  }

  /** Whether the ring tone is sounding now. */
  get sounding(): boolean {
    return this.context !== null;
  }

  /** Brings sound, notifications and the title in line with the rings of the moment. */
  update(): void {
    const rings = this.session.incomingRings();
    const audible = rings.filter((r) => !r.silent);
    if (audible.length > 0) this.startTone();
    else this.stopTone();

    const first = rings[0];
    const caller = first ? callerName(first.presence) : '';
    const title = first ? `Incoming call: ${caller} · ${this.baseTitle()}` : this.baseTitle();
    if (document.title !== title) document.title = title;

    const current = new Set(rings.map((r) => r.ringId));
    for (const [ringId, notification] of this.notifications) {
      if (!current.has(ringId)) {
        notification.close();
        this.notifications.delete(ringId);
      }
    }

    if (!document.hidden || !('Notification' in window) || Notification.permission !== 'granted') return;
    for (const ring of rings) {
      if (this.notifications.has(ring.ringId)) continue;
      const notification = new Notification(`${callerName(ring.presence)} is calling`, {
        body: ring.silent ? 'Incoming call (silent)' : 'Incoming call. Open DmVoice to answer.',
        tag: ring.ringId,
        silent: ring.silent,
        requireInteraction: true,
      });
      notification.onclick = () => {
        window.focus();
        this.session.selectDm(ring.presence.dmGroupId);
      };
      this.notifications.set(ring.ringId, notification);
    }
  }

  stop(): void {
    this.stopTone();
    this.notifications.forEach((n) => n.close());
    this.notifications.clear();
  }

  private startTone(): void {
    if (this.context || typeof AudioContext === 'undefined') return;
    const context = new AudioContext();
    this.context = context;
    void context.resume().catch(() => undefined);
    const output = context.createGain();
    output.gain.value = pattern.volume;
    output.connect(context.destination);

    // Schedules one period of the pattern a little ahead of time, every period.
    const schedule = () => {
      if (this.context !== context) return;
      const start = context.currentTime + 0.05;
      for (const offset of pattern.bursts) {
        const envelope = context.createGain();
        envelope.gain.setValueAtTime(0, start + offset);
        envelope.gain.linearRampToValueAtTime(1, start + offset + 0.02);
        envelope.gain.setValueAtTime(1, start + offset + pattern.burstS - 0.05);
        envelope.gain.linearRampToValueAtTime(0, start + offset + pattern.burstS);
        envelope.connect(output);
        for (const frequency of pattern.tones) {
          const tone = context.createOscillator();
          tone.frequency.value = frequency;
          tone.connect(envelope);
          tone.start(start + offset);
          tone.stop(start + offset + pattern.burstS);
        }
      }
    };
    schedule();
    this.timer = setInterval(schedule, pattern.periodS * 1000);
  }

  private stopTone(): void {
    if (!this.context) return;
    clearInterval(this.timer);
    void this.context.close();
    this.context = null;
  }
}

function callerName(presence: { participants: { userId: string; displayName: string }[]; startedBy: string | null }): string {
  const caller = presence.participants.find((p) => p.userId === presence.startedBy) ?? presence.participants[0];
  return caller?.displayName ?? presence.startedBy ?? 'Someone';
}
