// The wire contract of docs/API.md: REST bodies, hub events and their names.

export interface DmGroup {
  id: string;
  name: string | null;
  ownerId: string;
  memberIds: string[];
  createdAt: string;
  isGroup: boolean;
}

/** GET /dm-groups: one page of my DMs, newest activity first; pass `nextCursor` back as `cursor`. */
export interface DmGroupPage {
  dmGroups: (DmGroup & { lastActivityAt: string; muted: boolean; mutedUntil: string | null })[];
  nextCursor: string | null;
}

export interface VoiceParticipant {
  userId: string;
  displayName: string;
  isMuted: boolean;
  isDeafened: boolean;
  isVideoEnabled: boolean;
  isScreenSharing: boolean;
  joinedAt: string;
  /** desktop, mobile, web or null, as the join said. */
  deviceKind?: string | null;
}

export interface RingingEntry {
  userId: string;
  ringId: string;
  expiresAt: string;
  /** Rung without sound (the recipient is on Do not disturb or muted the DM). */
  silent?: boolean;
}

export interface CallPresence {
  dmGroupId: string;
  callId: string | null;
  startedAt: string | null;
  startedBy: string | null;
  participants: VoiceParticipant[];
  ringing: RingingEntry[];
  version: number;
  /** What others see of the participants' and the rung users' status: online, idle, dnd or offline. */
  statuses?: Record<string, string> | null;
}

/** Which call I am in, and which of my devices holds the seat (null when the join named none). */
export interface ActiveCall {
  kind: 'dm' | 'channel';
  id: string;
  deviceId?: string | null;
  deviceKind?: string | null;
}

export interface MyVoiceOverview {
  activeCall: ActiveCall | null;
  liveCalls: CallPresence[];
  liveChannels?: ChannelPresence[];
}

/** A voice channel: a standing room with an access list; `userLimit` 0 is unlimited. */
export interface VoiceChannel {
  id: string;
  name: string;
  ownerId: string;
  memberIds: string[];
  userLimit: number;
  createdAt: string;
  /** Users invited who have not answered yet. */
  invitedIds?: string[];
}

/** An invite to a voice channel waiting for my answer: I am not a member until I accept. */
export interface ChannelInvite {
  channelId: string;
  name: string;
  ownerId: string;
  invitedAt: string;
}

export interface VoiceChannelPage {
  voiceChannels: VoiceChannel[];
  nextCursor: string | null;
}

export interface ChannelPresence {
  channelId: string;
  callId: string | null;
  startedAt: string | null;
  participants: VoiceParticipant[];
  userLimit: number;
  version: number;
  statuses?: Record<string, string> | null;
}

export interface ChannelJoinResult {
  channelId: string;
  callId: string;
  callStarted: boolean;
  user: VoiceParticipant;
  version: number;
}

export interface JoinResult {
  dmGroupId: string;
  callId: string;
  callStarted: boolean;
  user: VoiceParticipant;
  version: number;
}

export interface MemberOutcome {
  userId: string;
  outcome: string;
}

export interface CallRecord {
  callId: string;
  dmGroupId: string;
  startedBy: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  endReason: string;
  participants: string[];
  outcomes: MemberOutcome[];
}

export interface CallHistoryPage {
  calls: CallRecord[];
  nextBefore: string | null;
}

export interface VoiceStatePatch {
  isMuted?: boolean;
  isDeafened?: boolean;
  isVideoEnabled?: boolean;
  isScreenSharing?: boolean;
  deviceId?: string;
}

/** The body of a join: the starting state and the device that takes the seat. */
export interface JoinBody {
  isMuted: boolean;
  isVideoEnabled: boolean;
  deviceId?: string;
  deviceKind?: 'desktop' | 'mobile' | 'web';
}

export interface LiveKitToken {
  token: string;
  url: string;
  roomName: string;
  identity: string;
  expiresAt: string;
}

export interface DevToken {
  token: string;
  userId: string;
  expiresAt: string;
}

/** RFC 7807 problem details with DmVoice's stable `code`. */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  retryAfterSeconds?: number;
}

// Hub events. Every payload carries dmGroupId, callId and version.
interface EventBase {
  dmGroupId: string;
  callId: string;
  version: number;
}

export interface CallStartedEvent extends EventBase {
  user: VoiceParticipant;
  ringing: RingingEntry[];
}

export interface UserJoinedEvent extends EventBase {
  user: VoiceParticipant;
}

export interface UserLeftEvent extends EventBase {
  userId: string;
  reason: 'left' | 'moved' | 'disconnected' | 'removed' | 'call_ended' | string;
}

export interface UserUpdatedEvent extends EventBase {
  user: VoiceParticipant;
}

export interface CallEndedEvent extends EventBase {
  reason: string;
  durationMs: number;
  record: CallRecord;
}

export interface RingStartedEvent extends EventBase {
  ringing: RingingEntry[];
}

export interface SessionMovedEvent extends EventBase {
  user: VoiceParticipant;
  deviceId: string;
  previousDeviceId: string | null;
}

export interface RingStoppedEvent extends EventBase {
  userId: string;
  ringId: string;
  outcome: string;
}

/** Event name → payload, as the hub sends them. */
export interface VoiceEvents {
  dmVoiceCallStarted: CallStartedEvent;
  dmVoiceUserJoined: UserJoinedEvent;
  dmVoiceUserLeft: UserLeftEvent;
  dmVoiceUserUpdated: UserUpdatedEvent;
  dmVoiceCallEnded: CallEndedEvent;
  dmVoiceRingStarted: RingStartedEvent;
  dmVoiceRingStopped: RingStoppedEvent;
  dmVoiceSessionMoved: SessionMovedEvent;
}

export type VoiceEventName = keyof VoiceEvents;

/** One event with its name, so it can travel as a single value. */
export type VoiceEvent = { [N in VoiceEventName]: { name: N; payload: VoiceEvents[N] } }[VoiceEventName];

export const voiceEventNames: readonly VoiceEventName[] = [
  'dmVoiceCallStarted',
  'dmVoiceUserJoined',
  'dmVoiceUserLeft',
  'dmVoiceUserUpdated',
  'dmVoiceCallEnded',
  'dmVoiceRingStarted',
  'dmVoiceRingStopped',
  'dmVoiceSessionMoved',
];

// Voice channel events. Every payload carries channelId, callId ("" while the voice is not live)
// and version; the channel's own changes share the version sequence of its voice.
interface ChannelEventBase {
  channelId: string;
  callId: string;
  version: number;
}

export interface ChannelEvents {
  voiceChannelUserJoined: ChannelEventBase & { user: VoiceParticipant };
  voiceChannelUserLeft: ChannelEventBase & { userId: string; reason: string };
  voiceChannelUserUpdated: ChannelEventBase & { user: VoiceParticipant };
  voiceChannelSessionMoved: ChannelEventBase & { user: VoiceParticipant; deviceId: string; previousDeviceId: string | null };
  voiceChannelUpdated: ChannelEventBase & { channel: VoiceChannel };
  voiceChannelRemoved: ChannelEventBase & { reason: 'deleted' | 'access_removed' | string };
}

/** Sent to the invited user's devices only; they carry channelId but are not part of the channel's version stream for me. */
export interface InviteEvents {
  voiceChannelInvited: ChannelEventBase & { invite: ChannelInvite };
  voiceChannelInviteRemoved: ChannelEventBase & { reason: 'declined' | 'withdrawn' | 'deleted' | string };
}

export type InviteEvent = { [N in keyof InviteEvents]: { name: N; payload: InviteEvents[N] } }[keyof InviteEvents];

export const inviteEventNames: readonly (keyof InviteEvents)[] = ['voiceChannelInvited', 'voiceChannelInviteRemoved'];

export type ChannelEventName = keyof ChannelEvents;

export type ChannelEvent = { [N in ChannelEventName]: { name: N; payload: ChannelEvents[N] } }[ChannelEventName];

export const channelEventNames: readonly ChannelEventName[] = [
  'voiceChannelUserJoined',
  'voiceChannelUserLeft',
  'voiceChannelUserUpdated',
  'voiceChannelSessionMoved',
  'voiceChannelUpdated',
  'voiceChannelRemoved',
];
