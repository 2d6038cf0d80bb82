// The in-call bar: which call I am in (a DM's or a voice channel's), and mute, deafen, camera,
// screen share and leave. When another of my devices holds the seat, it says so instead and offers
// to take the call back to this one.

import type { Session } from '../session';
import { button, h, renderInto } from './dom';

export function callBarView(session: Session): { element: HTMLElement; render: () => void } {
  const element = h('section', { class: 'call-bar', 'aria-label': 'Call controls', hidden: true });
  let mode = 'none';

  /**
   * When the bar changes between no call, controls and "on another device", the button that had
   * the keyboard focus may be gone (Join voice, Mute): the focus then goes to the bar's first
   * control instead of getting lost, unless it is somewhere else on purpose.
   */
  const keepFocus = (next: string) => {
    const lost = document.activeElement === null || document.activeElement === document.body;
    if (next !== mode && next !== 'none' && lost) element.querySelector<HTMLButtonElement>('.call-bar-controls button')?.focus();
    mode = next;
  };

  const render = () => {
    const call = session.activeCall;
    const me = session.myParticipant();
    element.hidden = !call;
    if (!call) {
      renderInto(element);
      mode = 'none';
      return;
    }

    const count = (call.kind === 'dm' ? session.presence(call.id) : session.channelPresence(call.id))?.participants.length ?? 0;
    const open = () => (call.kind === 'dm' ? session.selectDm(call.id) : session.selectChannel(call.id));
    const where = h(
      'div',
      { class: 'call-bar-where' },
      h('strong', {}, call.kind === 'dm' ? 'In call: ' : 'In voice: '),
      button(session.activeCallName(), open, { key: 'bar-open', className: 'link' }),
      h('span', {}, ` · ${count} ${count === 1 ? 'person' : 'people'}`),
    );

    if (!session.seatHere) {
      element.classList.add('elsewhere');
      renderInto(
        element,
        where,
        h(
          'p',
          { class: 'call-bar-moved', role: 'status' },
          session.seatMovedAway ? 'Your call moved to another of your devices.' : 'You are in this call on another of your devices.',
        ),
        h(
          'div',
          { class: 'call-bar-controls' },
          button('Take the call here', () => void session.takeCallHere(), { key: 'bar-take', className: 'primary' }),
          button('Leave call', () => void session.leave(), { key: 'bar-leave', className: 'danger' }),
        ),
      );
      keepFocus('elsewhere');
      return;
    }

    element.classList.remove('elsewhere');
    renderInto(
      element,
      where,
      h(
        'div',
        { class: 'call-bar-controls' },
        button('Mute', () => void session.toggleMute(), { key: 'bar-mute', pressed: me?.isMuted ?? false }),
        button('Deafen', () => void session.toggleDeafen(), { key: 'bar-deafen', pressed: me?.isDeafened ?? false }),
        button('Camera', () => void session.toggleVideo(), { key: 'bar-video', pressed: me?.isVideoEnabled ?? false }),
        button('Share screen', () => void session.toggleScreenShare(), { key: 'bar-share', pressed: me?.isScreenSharing ?? false }),
        button('Leave call', () => void session.leave(), { key: 'bar-leave', className: 'danger' }),
      ),
    );
    keepFocus('here');
  };
  return { element, render };
}
