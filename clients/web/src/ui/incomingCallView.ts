// The incoming call notification: an alert dialog per ring with the caller, the DM, a countdown
// and Accept / Decline / Dismiss. It takes focus when it appears and gives it back when it goes,
// which happens on every tab the moment the ring stops for any reason.

import type { CallPresence } from '../contract';
import { dmTitle, type Session } from '../session';
import { h } from './dom';
import { secondsUntil } from './words';

export function incomingCallView(session: Session): { element: HTMLElement; render: () => void } {
  const element = h('div', { class: 'incoming-calls' });
  const open = new Map<string, HTMLElement>();
  let focusBefore: Element | null = null;

  const render = () => {
    const rings = session.incomingRings();
    const current = new Set(rings.map((r) => r.ringId));
    let focusLost = false;
    for (const [ringId, dialog] of open) {
      if (current.has(ringId)) continue;
      focusLost ||= dialog.contains(document.activeElement);
      dialog.remove();
      open.delete(ringId);
    }

    for (const ring of rings) {
      const shown = open.get(ring.ringId);
      if (shown) {
        describe(session, shown, ring.presence);
        continue;
      }

      if (open.size === 0) focusBefore = document.activeElement;
      const dialog = ringDialog(session, ring.presence, ring.ringId, ring.expiresAt, ring.silent);
      open.set(ring.ringId, dialog);
      element.append(dialog);
      dialog.querySelector<HTMLButtonElement>('button.accept')?.focus();
    }

    if (focusLost) {
      const next = open.values().next().value?.querySelector<HTMLButtonElement>('button.accept');
      if (next) next.focus();
      else if (focusBefore instanceof HTMLElement && focusBefore.isConnected) focusBefore.focus();
    }
  };
  return { element, render };
}

function ringDialog(session: Session, presence: CallPresence, ringId: string, expiresAt: string, silent: boolean): HTMLElement {
  const dmGroupId = presence.dmGroupId;
  const titleId = `ring-title-${ringId}`;
  const describedId = `ring-desc-${ringId}`;
  const dialog = h(
    'div',
    {
      class: 'incoming',
      role: 'alertdialog',
      'aria-modal': 'false',
      'aria-labelledby': titleId,
      'aria-describedby': describedId,
      onkeydown: (event: Event) => {
        if ((event as KeyboardEvent).key === 'Escape') void session.dismiss(dmGroupId);
      },
    },
    h('h2', { id: titleId, class: 'caller' }),
    h(
      'p',
      { id: describedId },
      h('span', { class: 'where' }),
      h('span', { class: 'countdown', 'data-expires-at': expiresAt }, `${secondsUntil(expiresAt)} s`),
      ' left to answer.',
    ),
    h('p', { class: 'hint' }, silent ? 'Silent ring: you are on Do not disturb or muted this DM.' : 'Ringing with sound.'),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'accept primary', onclick: () => void session.join(dmGroupId) }, 'Accept'),
      h('button', { type: 'button', class: 'danger', onclick: () => void session.decline(dmGroupId) }, 'Decline'),
      h('button', { type: 'button', title: 'Silence this call on all your devices (the caller is not told)', onclick: () => void session.dismiss(dmGroupId) }, 'Dismiss'),
    ),
  );
  describe(session, dialog, presence);
  return dialog;
}

/** Who is calling and where: the DM's name may arrive after the ring, so this runs on every render. */
function describe(session: Session, dialog: HTMLElement, presence: CallPresence): void {
  const dm = session.dm(presence.dmGroupId);
  const caller = presence.participants.find((p) => p.userId === presence.startedBy) ?? presence.participants[0];
  const title = `${caller?.displayName ?? presence.startedBy ?? 'Someone'} is calling`;
  const where = dm?.isGroup ? `Incoming call in ${dmTitle(dm, session.me.userId)}. ` : 'Incoming call. ';
  setText(dialog.querySelector('.caller'), title);
  setText(dialog.querySelector('.where'), where);
}

function setText(element: Element | null, text: string): void {
  if (element && element.textContent !== text) element.textContent = text;
}
