// The open DM: its header with the call button, the live call (participants, who is ringing),
// its members and its call history.

import type { CallPresence, DmGroup } from '../contract';
import { dmTitle, type Session } from '../session';
import { button, h, icon, renderInto } from './dom';
import { participantTile } from './participantTile';
import { durationText, endReasonText, outcomeWords, secondsUntil, timeText } from './words';

export function dmPanelView(session: Session): { element: HTMLElement; render: () => void } {
  const header = h('header', { class: 'dm-header' });
  const call = h('section', { class: 'call', 'aria-label': 'Call' });
  const memberList = h('ul', { class: 'members' });
  const newMember = h('input', { id: 'add-member-id', name: 'userId', required: true });
  const addMember = h(
    'form',
    {
      class: 'inline',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const dmGroupId = session.selectedDmId;
        if (dmGroupId) {
          void session.addMember(dmGroupId, newMember.value.trim()).then((ok) => {
            if (ok) newMember.value = '';
          });
        }
      },
    },
    h('label', { for: 'add-member-id' }, 'Add a member'),
    newMember,
    h('button', { type: 'submit' }, 'Add'),
  );
  const members = h('section', { class: 'members-section', 'aria-labelledby': 'members-title' }, h('h3', { id: 'members-title' }, 'Members'), memberList, addMember);
  const history = h('section', { class: 'history', 'aria-labelledby': 'history-title' });
  const empty = h('p', { class: 'empty' }, 'Pick a DM, or start one.');
  const element = h('main', { class: 'dm-panel', 'aria-label': 'DM' }, empty, header, call, members, history);

  let shownDm: string | null = null;
  const render = () => {
    const dm = session.selectedDmId ? session.dm(session.selectedDmId) : undefined;
    for (const part of [header, call, members, history]) part.hidden = !dm;
    empty.hidden = !!dm;
    if (!dm) return;
    if (shownDm !== dm.id) newMember.value = '';
    shownDm = dm.id;

    const presence = session.presence(dm.id);
    renderHeader(session, header, dm, presence);
    renderCall(session, call, dm, presence);
    renderMembers(session, memberList, dm);
    addMember.hidden = !dm.isGroup;
    renderHistory(session, history, dm);
  };
  return { element, render };
}

function renderHeader(session: Session, header: HTMLElement, dm: DmGroup, presence: CallPresence | undefined): void {
  renderInto(
    header,
    h('h2', { id: 'dm-title' }, dmTitle(dm, session.me.userId)),
    h('span', { class: 'dm-kind' }, dm.isGroup ? 'Group DM' : '1:1 DM'),
    presence ? h('span', { class: 'live-marker' }, liveWords(session, dm)) : null,
    callButtons(session, dm, presence),
  );
}

/**
 * A phone and a camera button to start or join the call, as audio or with the camera on. While
 * this tab is in another DM's call they are off, with the reason; from a voice channel they say
 * that joining leaves it (one call at a time).
 */
function callButtons(session: Session, dm: DmGroup, presence: CallPresence | undefined): HTMLElement | null {
  // In this call already: the call bar has the controls (or, on another device, takes it here).
  if (session.activeCallDmId === dm.id) return null;

  const busyHere = session.activeCallDmId !== null && session.seatHere;
  const reason = busyHere
    ? `You are in a call in ${session.activeCallName()} on this device. Leave it first.`
    : session.activeCall
      ? `Joining takes you out of ${session.activeCallName()}.`
      : null;
  const verb = presence ? 'Join' : 'Start';
  const options = (key: string, label: string) => ({ key, ariaLabel: label, disabled: busyHere, describedBy: reason ? 'call-buttons-reason' : undefined });
  return h(
    'div',
    { class: 'call-buttons', role: 'group', 'aria-label': 'Call' },
    withIcon(button('Voice', () => void session.join(dm.id), { ...options('call-voice', `${verb} voice call`), className: 'primary' }), 'phone'),
    withIcon(button('Video', () => void session.join(dm.id, { video: true }), { ...options('call-video', `${verb} video call`), className: 'primary' }), 'camera'),
    reason ? h('p', { id: 'call-buttons-reason', class: 'hint' }, reason) : null,
  );
}

function liveWords(session: Session, dm: DmGroup): string {
  if (session.activeCallDmId !== dm.id) return 'Call in progress';
  return session.seatHere ? 'You are in this call' : 'You are in this call on another device';
}

function withIcon(target: HTMLButtonElement, name: 'phone' | 'camera'): HTMLButtonElement {
  target.prepend(icon(name), ' ');
  return target;
}

function renderCall(session: Session, region: HTMLElement, dm: DmGroup, presence: CallPresence | undefined): void {
  region.hidden = !presence;
  if (!presence) {
    renderInto(region);
    return;
  }

  const inCall = session.activeCallDmId === dm.id;
  const outcomes = session.ringOutcomes.get(dm.id);
  const ringingIds = new Set(presence.ringing.map((r) => r.userId));
  const inCallIds = new Set(presence.participants.map((p) => p.userId));
  const idle = dm.memberIds.filter((id) => !inCallIds.has(id) && !ringingIds.has(id));

  renderInto(
    region,
    h('h3', { id: 'call-title' }, `In the call (${presence.participants.length})`),
    presence.startedAt ? h('p', { class: 'hint' }, `Started ${timeText(presence.startedAt)} by ${presence.startedBy ?? 'someone'}`) : null,
    h('ul', { class: 'tiles', 'aria-labelledby': 'call-title' }, ...presence.participants.map((p) => participantTile(session, p, inCall))),
    presence.ringing.length > 0
      ? h(
          'div',
          { class: 'ringing' },
          h('h4', { id: 'ringing-title' }, 'Ringing'),
          h(
            'ul',
            { 'aria-labelledby': 'ringing-title' },
            ...presence.ringing.map((ring) =>
              h(
                'li',
                {},
                h('span', {}, ring.userId),
                ' ',
                h('span', { class: 'countdown', 'data-expires-at': ring.expiresAt }, `${secondsUntil(ring.expiresAt)} s`),
                inCall ? button('Stop ringing', () => void session.stopRinging(dm.id, ring.userId), { key: `stop:${ring.userId}`, ariaLabel: `Stop ringing ${ring.userId}`, className: 'small' }) : null,
              ),
            ),
          ),
        )
      : null,
    idle.length > 0
      ? h(
          'div',
          { class: 'not-here' },
          h('h4', { id: 'not-here-title' }, 'Not in the call'),
          h(
            'ul',
            { 'aria-labelledby': 'not-here-title' },
            ...idle.map((userId) => {
              const outcome = outcomes?.get(userId);
              return h(
                'li',
                {},
                h('span', {}, userId),
                outcome ? h('span', { class: `outcome outcome-${outcome}` }, ` · ${outcomeWords(outcome)}`) : null,
                inCall ? button('Ring', () => void session.ring(dm.id, [userId]), { key: `ring:${userId}`, ariaLabel: `Ring ${userId} again`, className: 'small' }) : null,
              );
            }),
          ),
          inCall && idle.length > 1 ? button('Ring everyone again', () => void session.ring(dm.id), { key: 'ring-all', className: 'small' }) : null,
        )
      : null,
  );
}

function renderMembers(session: Session, list: HTMLElement, dm: DmGroup): void {
  const me = session.me.userId;
  const iOwn = dm.ownerId === me;
  renderInto(
    list,
    ...dm.memberIds.map((id) => {
      const canRemove = dm.isGroup && (iOwn || id === me);
      const label = id === me ? 'Leave DM' : 'Remove';
      return h(
        'li',
        {},
        h('span', {}, id === me ? `${id} (you)` : id),
        id === dm.ownerId ? h('span', { class: 'badge' }, 'owner') : null,
        canRemove
          ? button(label, () => void session.removeMember(dm.id, id), { key: `remove:${id}`, ariaLabel: id === me ? 'Leave this DM' : `Remove ${id}`, className: 'small' })
          : null,
      );
    }),
  );
}

function renderHistory(session: Session, region: HTMLElement, dm: DmGroup): void {
  const records = session.history.get(dm.id) ?? [];
  renderInto(
    region,
    h('h3', { id: 'history-title' }, 'Call history'),
    records.length === 0
      ? h('p', { class: 'empty' }, 'No calls yet.')
      : h(
          'ol',
          { class: 'records', 'aria-labelledby': 'history-title' },
          ...records.map((record) =>
            h(
              'li',
              { class: 'record' },
              h('span', { class: 'record-when' }, timeText(record.startedAt)),
              h('span', {}, ` · started by ${record.startedBy} · ${durationText(record.durationMs)} · ${endReasonText(record.endReason)}`),
              h(
                'span',
                { class: 'record-outcomes' },
                ' · ',
                record.outcomes
                  .filter((o) => o.userId !== record.startedBy)
                  .map((o) => `${o.userId}: ${outcomeWords(o.outcome)}`)
                  .join(', '),
              ),
            ),
          ),
        ),
  );
}
