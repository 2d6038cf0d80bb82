// A signed-in person's view of DmVoice: their DMs, the live calls in them, their own call, rings,
// history and missed calls. REST actions and hub events change it; the screens read it.

import { Api, ApiError } from './api';
import type { CallPresence, CallRecord, DmGroup, MyVoiceOverview, VoiceEvent, VoiceParticipant, VoiceStatePatch } from './contract';
import { Media } from './media';
import { applyEvent, emptyPresence, isLive, judge } from './presence';
import { Realtime, type ConnectionStatus } from './realtime';
import { describeError, endReasonText } from './ui/words';

export interface Me {
  userId: string;
  displayName: string;
  token: string;
}

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

const missedOutcomes = new Set(['missed', 'busy', 'cancelled']);

export class Session {
  readonly api: Api;
  readonly media: Media;
  private readonly realtime: Realtime;
  private readonly listeners = new Set<() => void>();
  private nextNoticeId = 1;

  connection: ConnectionStatus = 'connecting';
  dms: DmGroup[] = [];
  selectedDmId: string | null = null;
  /** Live calls by DM; a DM without an entry has no call (or one not known yet). */
  readonly presences = new Map<string, CallPresence>();
  /** The last version applied per DM (the version rule). */
  readonly versions = new Map<string, number>();
  /** The DM whose call I am in (on any of my devices), or null. */
  activeCallDmId: string | null = null;
  /** How each member's last ring in a DM's current call ended (declined, missed, …). */
  readonly ringOutcomes = new Map<string, Map<string, string>>();
  readonly history = new Map<string, CallRecord[]>();
  missedCalls: CallRecord[] = [];
  notices: Notice[] = [];

  constructor(
    readonly me: Me,
    private readonly signedOut: (reason: string) => void,
  ) {
    this.api = new Api(me.token);
    this.media = new Media(this.api, () => this.changed());
    this.realtime = new Realtime(me.token, {
      synced: (overview, reconnected) => this.applySnapshot(overview, reconnected),
      event: (event) => this.receive(event),
      status: (status) => {
        this.connection = status;
        this.changed();
      },
      unauthorized: () => this.signedOut('Your sign-in was refused by the server. Sign in again.'),
    });
  }

  async start(): Promise<void> {
    await this.realtime.start();
  }

  async stop(): Promise<void> {
    await this.media.disconnect();
    await this.realtime.stop();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- what the screens ask -------------------------------------------------------------------

  dm(dmGroupId: string): DmGroup | undefined {
    return this.dms.find((d) => d.id === dmGroupId);
  }

  presence(dmGroupId: string): CallPresence | undefined {
    return this.presences.get(dmGroupId);
  }

  /** My own participant entry in the call I am in. */
  myParticipant(): VoiceParticipant | undefined {
    return this.activeCallDmId ? this.presence(this.activeCallDmId)?.participants.find((p) => p.userId === this.me.userId) : undefined;
  }

  /** DMs whose call is ringing me right now. */
  incomingRings(): { presence: CallPresence; expiresAt: string; ringId: string }[] {
    return [...this.presences.values()].flatMap((presence) => {
      const ring = presence.ringing.find((r) => r.userId === this.me.userId);
      return ring && presence.dmGroupId !== this.activeCallDmId ? [{ presence, expiresAt: ring.expiresAt, ringId: ring.ringId }] : [];
    });
  }

  // ---- actions (each failure becomes a notice in words) ----------------------------------------

  selectDm(dmGroupId: string | null): void {
    this.selectedDmId = dmGroupId;
    this.changed();
    if (dmGroupId) {
      void this.attempt('Loading the DM', async () => {
        await this.refreshPresence(dmGroupId);
        if (this.dm(dmGroupId)) await this.refreshHistory(dmGroupId);
      });
    }
  }

  refreshDms(): Promise<boolean> {
    return this.attempt('Loading your DMs', async () => {
      this.dms = await this.api.listDms();
      if (this.selectedDmId && !this.dm(this.selectedDmId)) this.selectedDmId = null;
      this.changed();
    });
  }

  createDm(memberIds: string[], name: string | undefined): Promise<boolean> {
    return this.attempt('Creating the DM', async () => {
      const group = await this.api.createDm(memberIds, name);
      this.upsertDm(group);
      this.selectDm(group.id);
    });
  }

  addMember(dmGroupId: string, userId: string): Promise<boolean> {
    return this.attempt(`Adding ${userId}`, async () => this.upsertDm(await this.api.addMember(dmGroupId, userId)));
  }

  removeMember(dmGroupId: string, userId: string): Promise<boolean> {
    const leaving = userId === this.me.userId;
    return this.attempt(leaving ? 'Leaving the DM' : `Removing ${userId}`, async () => {
      const group = await this.api.removeMember(dmGroupId, userId);
      if (group && !leaving) this.upsertDm(group);
      else this.forgetDm(dmGroupId);
    });
  }

  /** Starts the DM's call (ringing everyone else) or joins it; also how a ring is accepted. */
  join(dmGroupId: string): Promise<boolean> {
    return this.attempt('Joining the call', async () => {
      const result = await this.api.join(dmGroupId, { isMuted: false, isVideoEnabled: false });
      this.activeCallDmId = dmGroupId;
      if (this.selectedDmId !== dmGroupId) this.selectDm(dmGroupId);
      if (result.version > (this.versions.get(dmGroupId) ?? -1)) await this.refreshPresence(dmGroupId);
      this.changed();
      await this.media.connect(dmGroupId, { isMuted: result.user.isMuted, isDeafened: result.user.isDeafened, isVideoEnabled: result.user.isVideoEnabled });
    });
  }

  leave(): Promise<boolean> {
    const dmGroupId = this.activeCallDmId;
    if (!dmGroupId) return Promise.resolve(true);
    return this.attempt('Leaving the call', async () => {
      await this.api.leave(dmGroupId);
      this.leftCall(dmGroupId);
    });
  }

  decline(dmGroupId: string): Promise<boolean> {
    return this.attempt('Declining the call', () => this.api.decline(dmGroupId));
  }

  dismiss(dmGroupId: string): Promise<boolean> {
    return this.attempt('Silencing the call', () => this.api.dismiss(dmGroupId));
  }

  ring(dmGroupId: string, userIds?: string[]): Promise<boolean> {
    return this.attempt('Ringing again', async () => void (await this.api.ring(dmGroupId, userIds)));
  }

  stopRinging(dmGroupId: string, userId: string): Promise<boolean> {
    return this.attempt(`Stopping the ring for ${userId}`, () => this.api.stopRinging(dmGroupId, [userId]));
  }

  toggleMute(): Promise<boolean> {
    const muted = !this.myParticipant()?.isMuted;
    return this.updateVoice('Muting', { isMuted: muted }, () => this.media.setMicrophone(!muted));
  }

  toggleDeafen(): Promise<boolean> {
    const deafened = !this.myParticipant()?.isDeafened;
    return this.updateVoice('Deafening', { isDeafened: deafened }, async () => this.media.setDeafened(deafened));
  }

  toggleVideo(): Promise<boolean> {
    const video = !this.myParticipant()?.isVideoEnabled;
    return this.updateVoice('Turning the camera', { isVideoEnabled: video }, () => this.media.setCamera(video));
  }

  toggleScreenShare(): Promise<boolean> {
    const sharing = !this.myParticipant()?.isScreenSharing;
    return this.updateVoice('Sharing the screen', { isScreenSharing: sharing }, () => this.media.setScreenShare(sharing));
  }

  dismissNotice(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
    this.changed();
  }

  notify(kind: Notice['kind'], text: string): void {
    this.notices = [...this.notices.slice(-4), { id: this.nextNoticeId++, kind, text }];
    this.changed();
  }

  // ---- hub ------------------------------------------------------------------------------------

  private async applySnapshot(overview: MyVoiceOverview, reconnected: boolean): Promise<void> {
    this.presences.clear();
    this.versions.clear();
    for (const presence of overview.liveCalls) {
      this.presences.set(presence.dmGroupId, presence);
      this.versions.set(presence.dmGroupId, presence.version);
    }

    const wasIn = this.activeCallDmId;
    this.activeCallDmId = overview.activeCall?.kind === 'dm' ? overview.activeCall.id : null;
    if (wasIn && wasIn !== this.activeCallDmId) void this.media.disconnect();
    for (const dmGroupId of this.ringOutcomes.keys()) {
      if (!this.presences.has(dmGroupId)) this.ringOutcomes.delete(dmGroupId);
    }

    this.changed();
    // DMs, missed calls and the open DM's history may have changed meanwhile too.
    await Promise.all([
      this.refreshDms(),
      this.attempt('Loading missed calls', async () => (this.missedCalls = (await this.api.missedCalls()).calls)),
      this.selectedDmId ? this.attempt('Loading the call history', () => this.refreshHistory(this.selectedDmId!)) : Promise.resolve(),
    ]);
    if (reconnected) this.changed();
  }

  private receive(event: VoiceEvent): void {
    const dmGroupId = event.payload.dmGroupId;
    const verdict = judge(this.versions.get(dmGroupId), event);
    if (verdict === 'duplicate') return;
    if (verdict === 'gap') {
      void this.attempt('Refreshing a call', () => this.refreshPresence(dmGroupId));
      return;
    }

    const next = applyEvent(this.presences.get(dmGroupId) ?? emptyPresence(dmGroupId, 0), event);
    this.store(next);
    this.afterEvent(event);
    this.changed();
  }

  /** What an event means beyond the presence: my own call, notices, history, unknown DMs. */
  private afterEvent(event: VoiceEvent): void {
    const dmGroupId = event.payload.dmGroupId;
    if (!this.dm(dmGroupId)) void this.attempt('Loading a DM', async () => this.upsertDm(await this.api.getDm(dmGroupId)));

    switch (event.name) {
      case 'dmVoiceCallStarted':
        this.ringOutcomes.delete(dmGroupId);
        if (event.payload.user.userId === this.me.userId) this.activeCallDmId = dmGroupId;
        break;
      case 'dmVoiceUserJoined':
        if (event.payload.user.userId === this.me.userId) this.activeCallDmId = dmGroupId;
        break;
      case 'dmVoiceUserLeft':
        if (event.payload.userId === this.me.userId) this.onMeLeft(dmGroupId, event.payload.reason);
        break;
      case 'dmVoiceRingStarted':
        for (const ring of event.payload.ringing) this.ringOutcomes.get(dmGroupId)?.delete(ring.userId);
        break;
      case 'dmVoiceRingStopped': {
        const outcomes = this.ringOutcomes.get(dmGroupId) ?? new Map<string, string>();
        outcomes.set(event.payload.userId, event.payload.outcome);
        this.ringOutcomes.set(dmGroupId, outcomes);
        if (event.payload.userId === this.me.userId && event.payload.outcome === 'removed') this.onRemovedFromDm(dmGroupId);
        break;
      }
      case 'dmVoiceCallEnded': {
        const record = event.payload.record;
        this.ringOutcomes.delete(dmGroupId);
        if (this.activeCallDmId === dmGroupId) this.leftCall(dmGroupId);
        if (record.participants.includes(this.me.userId) && event.payload.reason !== 'ended') {
          this.notify('info', `Call ended: ${endReasonText(event.payload.reason)}.`);
        }

        this.history.set(dmGroupId, [record, ...(this.history.get(dmGroupId) ?? []).filter((r) => r.callId !== record.callId)]);
        const mine = record.outcomes.find((o) => o.userId === this.me.userId)?.outcome;
        if (mine && missedOutcomes.has(mine) && !this.missedCalls.some((r) => r.callId === record.callId)) {
          this.missedCalls = [record, ...this.missedCalls];
        }

        break;
      }
    }
  }

  private onMeLeft(dmGroupId: string, reason: string): void {
    if (this.activeCallDmId === dmGroupId) this.leftCall(dmGroupId);
    if (reason === 'removed') this.onRemovedFromDm(dmGroupId);
    else if (reason === 'disconnected') this.notify('info', 'You were disconnected from the call.');
  }

  private onRemovedFromDm(dmGroupId: string): void {
    const name = this.dm(dmGroupId) ? dmTitle(this.dm(dmGroupId)!, this.me.userId) : 'a DM';
    this.forgetDm(dmGroupId);
    this.notify('info', `You were removed from ${name}.`);
  }

  // ---- state helpers --------------------------------------------------------------------------

  private async refreshPresence(dmGroupId: string): Promise<void> {
    let presence: CallPresence;
    try {
      presence = await this.api.getPresence(dmGroupId);
    } catch (error) {
      // Removed from the DM (nothing tells a member who was not in its call): it is gone for us.
      if (error instanceof ApiError && error.code === 'dm_not_found' && this.dm(dmGroupId)) {
        this.forgetDm(dmGroupId);
        this.notify('info', 'A DM you were in is no longer available to you.');
        return;
      }

      throw error;
    }

    if (presence.version < (this.versions.get(dmGroupId) ?? -1)) return; // An event got here first.
    this.store(presence);
    if (!isLive(presence) && this.activeCallDmId === dmGroupId) this.leftCall(dmGroupId);
    this.changed();
  }

  private async refreshHistory(dmGroupId: string): Promise<void> {
    this.history.set(dmGroupId, (await this.api.history(dmGroupId)).calls);
    this.changed();
  }

  private store(presence: CallPresence): void {
    this.versions.set(presence.dmGroupId, presence.version);
    if (isLive(presence)) this.presences.set(presence.dmGroupId, presence);
    else this.presences.delete(presence.dmGroupId);
  }

  private leftCall(dmGroupId: string): void {
    if (this.activeCallDmId === dmGroupId) this.activeCallDmId = null;
    if (this.media.connectedTo === dmGroupId) void this.media.disconnect();
    this.changed();
  }

  private upsertDm(group: DmGroup): void {
    this.dms = [group, ...this.dms.filter((d) => d.id !== group.id)].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    this.changed();
  }

  private forgetDm(dmGroupId: string): void {
    this.dms = this.dms.filter((d) => d.id !== dmGroupId);
    this.presences.delete(dmGroupId);
    this.versions.delete(dmGroupId);
    this.ringOutcomes.delete(dmGroupId);
    if (this.selectedDmId === dmGroupId) this.selectedDmId = null;
    if (this.activeCallDmId === dmGroupId) this.leftCall(dmGroupId);
    this.changed();
  }

  private async updateVoice(what: string, patch: VoiceStatePatch, media: () => Promise<unknown>): Promise<boolean> {
    const dmGroupId = this.activeCallDmId;
    if (!dmGroupId) return false;
    return this.attempt(what, async () => {
      await media();
      await this.api.updateState(dmGroupId, patch);
    });
  }

  /** Runs an action; a failure is shown in words, and the answer says whether it worked. */
  private async attempt(what: string, action: () => Promise<unknown>): Promise<boolean> {
    try {
      await action();
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'unauthorized') {
        this.signedOut('Your sign-in has expired or was refused. Sign in again.');
        return false;
      }

      this.notify('error', `${what} failed: ${describeError(error)}`);
      return false;
    }
  }

  private changed(): void {
    this.listeners.forEach((listener) => listener());
  }
}

/** A DM's name as its members see it: the group's name, or the other members' ids. */
export function dmTitle(group: DmGroup, me: string): string {
  if (group.name) return group.name;
  const others = group.memberIds.filter((id) => id !== me);
  return others.length > 0 ? others.join(', ') : 'Just you';
}
