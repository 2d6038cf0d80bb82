// A signed-in person's view of DmVoice: their DMs, the live calls in them, their own call, rings,
// history and missed calls. REST actions and hub events change it; the screens read it.

import { Api, ApiError } from './api';
import { tabDeviceId } from './auth';
import { addToChannel } from './channelAccess';
import { applyChannelEvent, emptyChannelPresence, isChannelLive, judgeChannel } from './channels';
import type {
  ActiveCall,
  CallPresence,
  CallRecord,
  ChannelEvent,
  ChannelInvite,
  ChannelPresence,
  InviteEvent,
  DmGroup,
  JoinBody,
  MyVoiceOverview,
  VoiceChannel,
  VoiceEvent,
  VoiceParticipant,
  VoiceStatePatch,
} from './contract';
import { Devices, type DeviceKind } from './devices';
import { Media, callKey, type CallRef } from './media';
import { applyEvent, emptyPresence, isLive, judge } from './presence';
import { Realtime, type ConnectionStatus, type HubEvent } from './realtime';
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
  readonly devices: Devices;
  /** This tab's device id: the hub connection and every join name it, so the seat is this tab's. */
  readonly deviceId = tabDeviceId();
  private readonly realtime: Realtime;
  /** The call this tab is joining right now: its own join's events are about this device. */
  private joining: string | null = null;
  private readonly listeners = new Set<() => void>();
  private nextNoticeId = 1;

  connection: ConnectionStatus = 'connecting';
  dms: DmGroup[] = [];
  selectedDmId: string | null = null;
  /** Live calls by DM; a DM without an entry has no call (or one not known yet). */
  readonly presences = new Map<string, CallPresence>();
  /** The last version applied per DM (the version rule). */
  readonly versions = new Map<string, number>();
  /** The call I am in (on any of my devices) and which device holds the seat, or null. */
  activeCall: ActiveCall | null = null;
  /** The seat left this tab for another device of mine: say so and offer to take it back. */
  seatMovedAway = false;
  channels: VoiceChannel[] = [];
  /** Channel invites waiting for my answer, oldest first. */
  invites: ChannelInvite[] = [];
  selectedChannelId: string | null = null;
  /** Live voice per channel; a channel without an entry has nobody in its voice. */
  readonly channelPresences = new Map<string, ChannelPresence>();
  readonly channelVersions = new Map<string, number>();
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
    this.devices = new Devices(() => this.changed());
    this.media = new Media(this.api, this.devices, () => this.changed());
    this.realtime = new Realtime(me.token, this.deviceId, {
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
    void this.devices.refresh();
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

  /** The DM whose call I am in (on any of my devices), or null. */
  get activeCallDmId(): string | null {
    return this.activeCall?.kind === 'dm' ? this.activeCall.id : null;
  }

  /** The voice channel I am in (on any of my devices), or null. */
  get activeChannelId(): string | null {
    return this.activeCall?.kind === 'channel' ? this.activeCall.id : null;
  }

  /** Whether this tab holds the seat in my call. */
  get seatHere(): boolean {
    return !!this.activeCall && this.activeCall.deviceId === this.deviceId;
  }

  /** The name of the call I am in, as the screens say it ("bob", "#Lounge"). */
  activeCallName(): string {
    const call = this.activeCall;
    if (!call) return '';
    if (call.kind === 'channel') return `#${this.channel(call.id)?.name ?? 'a voice channel'}`;
    const dm = this.dm(call.id);
    return dm ? dmTitle(dm, this.me.userId) : 'a DM';
  }

  channel(channelId: string): VoiceChannel | undefined {
    return this.channels.find((c) => c.id === channelId);
  }

  channelPresence(channelId: string): ChannelPresence | undefined {
    return this.channelPresences.get(channelId);
  }

  /** My own participant entry in the call I am in. */
  myParticipant(): VoiceParticipant | undefined {
    const call = this.activeCall;
    if (!call) return undefined;
    const participants = call.kind === 'dm' ? this.presence(call.id)?.participants : this.channelPresence(call.id)?.participants;
    return participants?.find((p) => p.userId === this.me.userId);
  }

  /** DMs whose call is ringing me right now. */
  incomingRings(): { presence: CallPresence; expiresAt: string; ringId: string; silent: boolean }[] {
    return [...this.presences.values()].flatMap((presence) => {
      const ring = presence.ringing.find((r) => r.userId === this.me.userId);
      return ring && presence.dmGroupId !== this.activeCallDmId
        ? [{ presence, expiresAt: ring.expiresAt, ringId: ring.ringId, silent: ring.silent === true }]
        : [];
    });
  }

  // ---- actions (each failure becomes a notice in words) ----------------------------------------

  selectDm(dmGroupId: string | null): void {
    this.selectedDmId = dmGroupId;
    if (dmGroupId) this.selectedChannelId = null;
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

  /**
   * Starts the DM's call (ringing everyone else) or joins it, with the camera on for a video call;
   * also how a ring is accepted, and how the seat is taken back from another device.
   */
  join(dmGroupId: string, options: { video?: boolean } = {}): Promise<boolean> {
    return this.joinCall({ kind: 'dm', id: dmGroupId }, options.video ?? false);
  }

  joinChannel(channelId: string, options: { video?: boolean } = {}): Promise<boolean> {
    return this.joinCall({ kind: 'channel', id: channelId }, options.video ?? false);
  }

  /** Takes my call back to this tab from the device that holds it. */
  takeCallHere(): Promise<boolean> {
    const call = this.activeCall;
    if (!call) return Promise.resolve(true);
    const me = this.myParticipant();
    return this.joinCall(call, me?.isVideoEnabled ?? false);
  }

  leave(): Promise<boolean> {
    const call = this.activeCall;
    if (!call) return Promise.resolve(true);
    // Only the seat's device names itself: a tab that lost the seat leaves for whichever holds it.
    const deviceId = this.seatHere ? this.deviceId : undefined;
    return this.attempt('Leaving the call', async () => {
      if (call.kind === 'dm') await this.api.leave(call.id, deviceId);
      else await this.api.leaveChannel(call.id, deviceId);
      this.leftCall(call);
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

    this.channelPresences.clear();
    this.channelVersions.clear();
    for (const presence of overview.liveChannels ?? []) {
      this.channelPresences.set(presence.channelId, presence);
      this.channelVersions.set(presence.channelId, presence.version);
    }

    this.activeCall = overview.activeCall;
    const connected = this.media.connectedTo;
    if (connected && (!this.activeCall || !this.seatHere || connected !== callKey(this.activeCall))) void this.media.disconnect();
    // This tab still holds the seat (after a reload, say): its media comes back too.
    const me = this.myParticipant();
    if (this.activeCall && this.seatHere && !this.media.connectedTo && me) void this.startMedia(this.activeCall, me);
    for (const dmGroupId of this.ringOutcomes.keys()) {
      if (!this.presences.has(dmGroupId)) this.ringOutcomes.delete(dmGroupId);
    }

    this.changed();
    // DMs, channels, missed calls and the open DM's history may have changed meanwhile too
    // (channel changes are not replayed after a reconnect).
    await Promise.all([
      this.refreshDms(),
      this.refreshChannels(),
      this.refreshInvites(),
      this.attempt('Loading missed calls', async () => (this.missedCalls = (await this.api.missedCalls()).calls)),
      this.selectedDmId ? this.attempt('Loading the call history', () => this.refreshHistory(this.selectedDmId!)) : Promise.resolve(),
    ]);
    if (reconnected) this.changed();
  }

  private receive(hubEvent: HubEvent): void {
    if (hubEvent.name === 'voiceChannelInvited' || hubEvent.name === 'voiceChannelInviteRemoved') {
      this.receiveInvite(hubEvent as InviteEvent);
      return;
    }

    if ('channelId' in hubEvent.payload) {
      this.receiveChannel(hubEvent as ChannelEvent);
      return;
    }

    const event = hubEvent as VoiceEvent;
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
        if (event.payload.user.userId === this.me.userId) this.onMeJoined({ kind: 'dm', id: dmGroupId });
        break;
      case 'dmVoiceUserJoined':
        if (event.payload.user.userId === this.me.userId) this.onMeJoined({ kind: 'dm', id: dmGroupId });
        break;
      case 'dmVoiceSessionMoved':
        this.onSeatMoved({ kind: 'dm', id: dmGroupId }, event.payload.deviceId, event.payload.previousDeviceId);
        break;
      case 'dmVoiceUserLeft':
        if (event.payload.userId === this.me.userId) this.onMeLeft({ kind: 'dm', id: dmGroupId }, event.payload.reason);
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
        if (this.activeCallDmId === dmGroupId) this.leftCall({ kind: 'dm', id: dmGroupId });
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

  private receiveInvite(event: InviteEvent): void {
    const others = this.invites.filter((i) => i.channelId !== event.payload.channelId);
    this.invites = event.name === 'voiceChannelInvited' ? [...others, event.payload.invite] : others;
    this.changed();
  }

  private receiveChannel(event: ChannelEvent): void {
    const channelId = event.payload.channelId;
    const verdict = judgeChannel(this.channelVersions.get(channelId), event);
    if (verdict === 'duplicate') return;
    if (verdict === 'gap') {
      void this.attempt('Refreshing a voice channel', () => this.refreshChannel(channelId));
      return;
    }

    this.channelVersions.set(channelId, event.payload.version);
    const channel = event.name === 'voiceChannelUpdated' ? event.payload.channel : this.channel(channelId);
    if (channel) {
      const next = applyChannelEvent(this.channelPresences.get(channelId) ?? emptyChannelPresence(channel, event.payload.version), event);
      if (isChannelLive(next)) this.channelPresences.set(channelId, next);
      else this.channelPresences.delete(channelId);
    }

    const call: CallRef = { kind: 'channel', id: channelId };
    switch (event.name) {
      case 'voiceChannelUpdated':
        this.upsertChannel(event.payload.channel);
        break;
      case 'voiceChannelRemoved': {
        const name = this.channel(channelId)?.name ?? 'a voice channel';
        this.forgetChannel(channelId);
        this.notify('info', event.payload.reason === 'deleted' ? `The voice channel #${name} was deleted.` : `You no longer have access to #${name}.`);
        break;
      }
      case 'voiceChannelUserJoined':
        if (event.payload.user.userId === this.me.userId) this.onMeJoined(call);
        break;
      case 'voiceChannelSessionMoved':
        this.onSeatMoved(call, event.payload.deviceId, event.payload.previousDeviceId);
        break;
      case 'voiceChannelUserLeft':
        if (event.payload.userId === this.me.userId) this.onMeLeft(call, event.payload.reason);
        break;
      default:
        if (!channel) void this.attempt('Loading a voice channel', () => this.refreshChannel(channelId));
    }

    this.changed();
  }

  /** My join seen as an event: this tab's own join, or one from another of my devices. */
  private onMeJoined(call: CallRef): void {
    const key = callKey(call);
    if (this.activeCall && callKey(this.activeCall) === key) return;
    if (this.activeCall && this.seatHere) this.leftCall(this.activeCall);
    const here = this.joining === key;
    this.activeCall = { ...call, deviceId: here ? this.deviceId : null };
    if (!here) this.seatMovedAway = false;
  }

  /** My seat moved between my devices: the one that lost it drops its media and says so. */
  private onSeatMoved(call: CallRef, deviceId: string, previousDeviceId: string | null): void {
    this.activeCall = { ...call, deviceId };
    if (deviceId === this.deviceId) {
      this.seatMovedAway = false;
    } else {
      if (previousDeviceId === this.deviceId) this.seatMovedAway = true;
      if (this.media.connectedTo === callKey(call)) void this.media.disconnect();
    }
  }

  private onMeLeft(call: CallRef, reason: string): void {
    const name = this.activeCall && callKey(this.activeCall) === callKey(call) ? this.activeCallName() : null;
    if (name) this.leftCall(call);
    if (call.kind === 'dm' && reason === 'removed') this.onRemovedFromDm(call.id);
    else if (reason === 'disconnected') this.notify('info', 'You were disconnected from the call.');
    else if (reason === 'removed' && name) this.notify('info', `You were taken out of ${name}.`);
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
    if (!isLive(presence) && this.activeCallDmId === dmGroupId) this.leftCall({ kind: 'dm', id: dmGroupId });
    this.changed();
  }

  /** The channel and its voice, whose `version` covers both. */
  private async refreshChannel(channelId: string): Promise<void> {
    let channel: VoiceChannel;
    let presence: ChannelPresence;
    try {
      [channel, presence] = await Promise.all([this.api.getChannel(channelId), this.api.getChannelPresence(channelId)]);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'channel_not_found') {
        if (this.channel(channelId)) this.notify('info', 'A voice channel you had is no longer available to you.');
        this.forgetChannel(channelId);
        return;
      }

      throw error;
    }

    if (presence.version < (this.channelVersions.get(channelId) ?? -1)) return;
    this.channelVersions.set(channelId, presence.version);
    this.upsertChannel(channel);
    if (isChannelLive(presence)) this.channelPresences.set(channelId, presence);
    else this.channelPresences.delete(channelId);
    if (!presence.participants.some((p) => p.userId === this.me.userId) && this.activeChannelId === channelId) {
      this.leftCall({ kind: 'channel', id: channelId });
    }
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

  private leftCall(call: CallRef): void {
    const key = callKey(call);
    if (this.activeCall && callKey(this.activeCall) === key) {
      this.activeCall = null;
      this.seatMovedAway = false;
    }
    if (this.media.connectedTo === key) void this.media.disconnect();
    this.changed();
  }

  private upsertChannel(channel: VoiceChannel): void {
    this.channels = sortChannels([channel, ...this.channels.filter((c) => c.id !== channel.id)]);
    const presence = this.channelPresences.get(channel.id);
    if (presence) this.channelPresences.set(channel.id, { ...presence, userLimit: channel.userLimit });
    this.changed();
  }

  private forgetChannel(channelId: string): void {
    this.channels = this.channels.filter((c) => c.id !== channelId);
    this.channelPresences.delete(channelId);
    this.channelVersions.delete(channelId);
    if (this.selectedChannelId === channelId) this.selectedChannelId = null;
    if (this.activeChannelId === channelId) this.leftCall({ kind: 'channel', id: channelId });
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
    if (this.activeCallDmId === dmGroupId) this.leftCall({ kind: 'dm', id: dmGroupId });
    this.changed();
  }

  private async updateVoice(what: string, patch: VoiceStatePatch, media: () => Promise<unknown>): Promise<boolean> {
    const call = this.activeCall;
    if (!call) return false;
    const body = { ...patch, deviceId: this.deviceId };
    return this.attempt(what, async () => {
      await media();
      if (call.kind === 'dm') await this.api.updateState(call.id, body);
      else await this.api.updateChannelState(call.id, body);
    });
  }

  private joinCall(call: CallRef, video: boolean): Promise<boolean> {
    const before = this.activeCall;
    const leaving = before && (before.kind !== call.kind || before.id !== call.id) ? this.activeCallName() : null;
    const what = call.kind === 'dm' ? 'Joining the call' : 'Joining the voice channel';
    const body: JoinBody = { isMuted: false, isVideoEnabled: video, deviceId: this.deviceId, deviceKind: 'web' };
    this.joining = callKey(call);
    return this.attempt(what, async () => {
      try {
        if (call.kind === 'dm') {
          const result = await this.api.join(call.id, body);
          this.activeCall = { kind: 'dm', id: call.id, deviceId: this.deviceId, deviceKind: 'web' };
          if (this.selectedDmId !== call.id) this.selectDm(call.id);
          if (result.version > (this.versions.get(call.id) ?? -1)) await this.refreshPresence(call.id);
          await this.startMedia(call, result.user);
        } else {
          const result = await this.api.joinChannel(call.id, body);
          this.activeCall = { kind: 'channel', id: call.id, deviceId: this.deviceId, deviceKind: 'web' };
          if (this.selectedChannelId !== call.id) this.selectChannel(call.id);
          if (result.version > (this.channelVersions.get(call.id) ?? -1)) await this.refreshChannel(call.id);
          await this.startMedia(call, result.user);
        }
      } finally {
        this.joining = null;
      }

      this.seatMovedAway = false;
      // One call at a time: the server took me out of the other one.
      if (leaving) this.notify('info', `You left ${leaving}: you can be in one call at a time.`);
      this.changed();
    });
  }

  private async startMedia(call: CallRef, user: VoiceParticipant): Promise<void> {
    this.changed();
    await this.media.connect(call, { isMuted: user.isMuted, isDeafened: user.isDeafened, isVideoEnabled: user.isVideoEnabled });
  }

  // ---- voice channels -------------------------------------------------------------------------

  selectChannel(channelId: string | null): void {
    this.selectedChannelId = channelId;
    if (channelId) this.selectedDmId = null;
    this.changed();
    if (channelId) void this.attempt('Loading the voice channel', () => this.refreshChannel(channelId));
  }

  refreshChannels(): Promise<boolean> {
    return this.attempt('Loading your voice channels', async () => {
      this.channels = sortChannels(await this.api.listChannels());
      for (const id of this.channelPresences.keys()) if (!this.channel(id)) this.channelPresences.delete(id);
      if (this.selectedChannelId && !this.channel(this.selectedChannelId)) this.selectedChannelId = null;
      this.changed();
    });
  }

  refreshInvites(): Promise<boolean> {
    return this.attempt('Loading your channel invites', async () => {
      this.invites = await this.api.channelInvites();
      this.changed();
    });
  }

  /** Accepts an invite: the channel joins my list, and opens. */
  acceptInvite(channelId: string): Promise<boolean> {
    return this.attempt('Accepting the invite', async () => {
      const channel = await this.api.acceptChannelInvite(channelId);
      this.invites = this.invites.filter((i) => i.channelId !== channelId);
      this.upsertChannel(channel);
      this.selectChannel(channel.id);
    });
  }

  declineInvite(channelId: string): Promise<boolean> {
    return this.attempt('Declining the invite', async () => {
      await this.api.declineChannelInvite(channelId);
      this.invites = this.invites.filter((i) => i.channelId !== channelId);
      this.changed();
    });
  }

  createChannel(name: string, memberIds: string[], userLimit: number): Promise<boolean> {
    return this.attempt('Creating the voice channel', async () => {
      const channel = await this.api.createChannel(name, memberIds, userLimit);
      this.upsertChannel(channel);
      this.selectChannel(channel.id);
    });
  }

  updateChannel(channelId: string, patch: { name?: string; userLimit?: number }): Promise<boolean> {
    return this.attempt('Changing the voice channel', async () => this.upsertChannel(await this.api.updateChannel(channelId, patch)));
  }

  deleteChannel(channelId: string): Promise<boolean> {
    return this.attempt('Deleting the voice channel', async () => {
      await this.api.deleteChannel(channelId);
      this.forgetChannel(channelId);
    });
  }

  addChannelMember(channelId: string, userId: string): Promise<boolean> {
    const channel = this.channel(channelId);
    if (!channel) return Promise.resolve(false);
    return this.attempt(`Inviting ${userId}`, async () => this.upsertChannel(await addToChannel(this.api, channel, userId)));
  }

  removeChannelMember(channelId: string, userId: string): Promise<boolean> {
    const leaving = userId === this.me.userId;
    return this.attempt(leaving ? 'Leaving the voice channel' : `Taking ${userId}’s access away`, async () => {
      const channel = await this.api.removeChannelMember(channelId, userId);
      if (channel && !leaving) this.upsertChannel(channel);
      else this.forgetChannel(channelId);
    });
  }

  /** Switches to another microphone, camera or speaker, remembered for this browser; a live call keeps going. */
  chooseDevice(kind: DeviceKind, deviceId: string): void {
    this.devices.choose(kind, deviceId);
    void this.media.switchDevice(kind, deviceId);
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

function sortChannels(channels: VoiceChannel[]): VoiceChannel[] {
  return channels.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** A DM's name as its members see it: the group's name, or the other members' ids. */
export function dmTitle(group: DmGroup, me: string): string {
  if (group.name) return group.name;
  const others = group.memberIds.filter((id) => id !== me);
  return others.length > 0 ? others.join(', ') : 'Just you';
}
