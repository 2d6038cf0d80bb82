// Voice channels as the client keeps them: the channels I may enter, their live voice, and the
// `version` rule, which for a channel covers both its voice and its own changes (one sequence).

import type { ChannelEvent, ChannelPresence, VoiceChannel } from './contract';
import type { VersionVerdict } from './presence';

export function emptyChannelPresence(channel: VoiceChannel, version: number): ChannelPresence {
  return { channelId: channel.id, callId: null, startedAt: null, participants: [], userLimit: channel.userLimit, version };
}

/**
 * Like a DM's rule; with no known version only `voiceChannelUpdated` (which carries the whole
 * channel, and is how a user just given access learns of it) can be applied.
 */
export function judgeChannel(lastVersion: number | undefined, event: ChannelEvent): VersionVerdict {
  const version = event.payload.version;
  if (lastVersion === undefined) return event.name === 'voiceChannelUpdated' || event.name === 'voiceChannelRemoved' ? 'apply' : 'gap';
  if (version <= lastVersion) return 'duplicate';
  return version === lastVersion + 1 ? 'apply' : 'gap';
}

/** The channel's voice after one event (channel changes update only the limit and the version). */
export function applyChannelEvent(presence: ChannelPresence, event: ChannelEvent): ChannelPresence {
  const version = event.payload.version;
  const callId = event.payload.callId || null;
  switch (event.name) {
    case 'voiceChannelUserJoined':
    case 'voiceChannelUserUpdated':
    case 'voiceChannelSessionMoved': {
      const user = event.payload.user;
      const known = presence.participants.some((p) => p.userId === user.userId);
      const participants = known ? presence.participants.map((p) => (p.userId === user.userId ? user : p)) : [...presence.participants, user];
      return { ...presence, callId, startedAt: presence.startedAt ?? user.joinedAt, participants, version };
    }
    case 'voiceChannelUserLeft': {
      const participants = presence.participants.filter((p) => p.userId !== event.payload.userId);
      // An empty voice ends after the server's grace; the next join starts a new one.
      return { ...presence, participants, callId: participants.length > 0 ? callId : null, startedAt: participants.length > 0 ? presence.startedAt : null, version };
    }
    case 'voiceChannelUpdated':
      return { ...presence, userLimit: event.payload.channel.userLimit, version };
    case 'voiceChannelRemoved':
      return { ...presence, participants: [], callId: null, version };
  }
}

export function isChannelLive(presence: ChannelPresence | undefined): boolean {
  return !!presence && presence.participants.length > 0;
}

/** Whether a channel's voice has room for one more (0 = no limit). */
export function isFull(channel: VoiceChannel, presence: ChannelPresence | undefined): boolean {
  return channel.userLimit > 0 && (presence?.participants.length ?? 0) >= channel.userLimit;
}
