// The in-call bar: which call I am in, and mute, deafen, camera, screen share and leave.

import { dmTitle, type Session } from '../session';
import { button, h, renderInto } from './dom';

export function callBarView(session: Session): { element: HTMLElement; render: () => void } {
  const element = h('section', { class: 'call-bar', 'aria-label': 'Call controls', hidden: true });

  const render = () => {
    const dmGroupId = session.activeCallDmId;
    const me = session.myParticipant();
    element.hidden = !dmGroupId;
    if (!dmGroupId) {
      renderInto(element);
      return;
    }

    const dm = session.dm(dmGroupId);
    const count = session.presence(dmGroupId)?.participants.length ?? 0;
    renderInto(
      element,
      h(
        'div',
        { class: 'call-bar-where' },
        h('strong', {}, 'In call: '),
        button(dm ? dmTitle(dm, session.me.userId) : dmGroupId, () => session.selectDm(dmGroupId), { key: 'bar-open', className: 'link' }),
        h('span', {}, ` · ${count} ${count === 1 ? 'person' : 'people'}`),
      ),
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
  };
  return { element, render };
}
