// One person in a call: name, live voice state, their video when media is connected, and, from
// LiveKit, whether they are speaking (the tile lights up) and how good their connection is.

import type { VoiceParticipant } from '../contract';
import type { Session } from '../session';
import { h } from './dom';

const qualityWords: Record<string, string> = {
  excellent: 'Connection excellent',
  good: 'Connection good',
  poor: 'Connection poor',
  lost: 'Connection lost',
};

/** `withMedia`: the tile is in my own call, whose media this tab may be connected to. */
export function participantTile(session: Session, p: VoiceParticipant, withMedia: boolean): HTMLLIElement {
  const media = session.media;
  const speaking = withMedia && media.isSpeaking(p.userId);
  const quality = withMedia && media.status.kind === 'connected' ? qualityWords[media.quality.get(p.userId) ?? ''] : undefined;
  const states = [
    speaking ? 'Speaking' : null,
    p.isMuted ? 'Muted' : 'Mic on',
    p.isDeafened ? 'Deafened' : null,
    p.isVideoEnabled ? 'Camera on' : null,
    p.isScreenSharing ? 'Sharing screen' : null,
  ].filter((s) => s !== null);

  const name = p.userId === session.me.userId ? `${p.displayName} (you)` : p.displayName;
  const qualityLevel = media.quality.get(p.userId) ?? 'unknown';
  return h(
    'li',
    { class: `tile${speaking ? ' speaking' : ''}`, 'aria-label': name, 'data-user': p.userId },
    h('div', { class: 'avatar', 'aria-hidden': 'true' }, initials(p.displayName)),
    ...(withMedia ? media.videosOf(p.userId) : []),
    h('div', { class: 'tile-name' }, name),
    h('div', { class: 'tile-state' }, states.join(' · ')),
    quality ? h('div', { class: `tile-quality quality-${qualityLevel}` }, quality) : null,
  );
}

function initials(name: string): string {
  return name
    .split(/\s+/)
    .map((part) => part[0] ?? '')
    .join('')
    .slice(0, 2)
    .toUpperCase();
}
