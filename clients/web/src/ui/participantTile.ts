// One person in a call: name, live voice state, and their video when media is connected.

import type { VoiceParticipant } from '../contract';
import { h } from './dom';

export function participantTile(p: VoiceParticipant, me: string, videos: HTMLVideoElement[]): HTMLLIElement {
  const states = [
    p.isMuted ? 'Muted' : 'Mic on',
    p.isDeafened ? 'Deafened' : null,
    p.isVideoEnabled ? 'Camera on' : null,
    p.isScreenSharing ? 'Sharing screen' : null,
  ].filter((s) => s !== null);

  const name = p.userId === me ? `${p.displayName} (you)` : p.displayName;
  return h(
    'li',
    { class: 'tile', 'aria-label': name, 'data-user': p.userId },
    h('div', { class: 'avatar', 'aria-hidden': 'true' }, initials(p.displayName)),
    ...videos,
    h('div', { class: 'tile-name' }, name),
    h('div', { class: 'tile-state' }, states.join(' · ')),
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
