// A DM's call as the client keeps it, and the `version` rule of docs/API.md.

import type { CallPresence, VoiceEvent } from './contract';

/** What to do with an event, given the last version applied for its DM. */
export type VersionVerdict = 'apply' | 'duplicate' | 'gap';

/**
 * `version <= last`: a duplicate. `last + 1`: apply. Beyond: something was missed; re-fetch.
 * With no known version (after a reconnect the snapshot lists only live calls), only the start
 * of a call is complete enough to apply; anything else is re-fetched.
 */
export function judge(lastVersion: number | undefined, event: VoiceEvent): VersionVerdict {
  const version = event.payload.version;
  if (lastVersion === undefined) return event.name === 'dmVoiceCallStarted' ? 'apply' : 'gap';
  if (version <= lastVersion) return 'duplicate';
  return version === lastVersion + 1 ? 'apply' : 'gap';
}

export function emptyPresence(dmGroupId: string, version: number): CallPresence {
  return { dmGroupId, callId: null, startedAt: null, startedBy: null, participants: [], ringing: [], version };
}

/** The presence after one event (the event's version becomes the presence's version). */
export function applyEvent(presence: CallPresence, event: VoiceEvent): CallPresence {
  const version = event.payload.version;
  switch (event.name) {
    case 'dmVoiceCallStarted': {
      const e = event.payload;
      return {
        dmGroupId: e.dmGroupId,
        callId: e.callId,
        startedAt: e.user.joinedAt,
        startedBy: e.user.userId,
        participants: [e.user],
        ringing: e.ringing,
        version,
      };
    }
    case 'dmVoiceUserJoined':
    case 'dmVoiceUserUpdated':
    case 'dmVoiceSessionMoved': {
      const user = event.payload.user;
      const known = presence.participants.some((p) => p.userId === user.userId);
      const participants = known
        ? presence.participants.map((p) => (p.userId === user.userId ? user : p))
        : [...presence.participants, user];
      return { ...presence, callId: event.payload.callId, participants, version };
    }
    case 'dmVoiceUserLeft':
      return {
        ...presence,
        participants: presence.participants.filter((p) => p.userId !== event.payload.userId),
        version,
      };
    case 'dmVoiceCallEnded':
      return emptyPresence(presence.dmGroupId, version);
    case 'dmVoiceRingStarted': {
      const rung = new Set(event.payload.ringing.map((r) => r.userId));
      return {
        ...presence,
        ringing: [...presence.ringing.filter((r) => !rung.has(r.userId)), ...event.payload.ringing],
        version,
      };
    }
    case 'dmVoiceRingStopped':
      return {
        ...presence,
        ringing: presence.ringing.filter((r) => r.ringId !== event.payload.ringId),
        version,
      };
  }
}

export function isLive(presence: CallPresence | undefined): presence is CallPresence & { callId: string } {
  return presence?.callId != null;
}
