// Status lines: the connection, the media server, and notices (errors in words, and news such as
// being removed from a DM).

import type { Session } from '../session';
import { button, h, renderInto } from './dom';

export function bannersView(session: Session): { element: HTMLElement; render: () => void } {
  const connection = h('p', { class: 'banner', role: 'status' });
  const media = h('p', { class: 'banner', role: 'status' });
  // A device refused or gone: an alert, since the person may be talking into nothing.
  const device = h('p', { class: 'banner warning device-problem', role: 'alert' });
  const closeDevice = button('×', () => session.devices.report(null), { key: 'device-close', ariaLabel: 'Close this message', className: 'small' });
  // A live region that exists before its first notice, so screen readers announce each one.
  const notices = h('ul', { class: 'notices' });
  const element = h('div', { class: 'banners' }, connection, media, device, h('section', { 'aria-label': 'Notices', 'aria-live': 'polite' }, notices));

  const render = () => {
    const status = session.connection;
    connection.hidden = status === 'connected';
    connection.className = `banner ${status === 'reconnecting' ? 'warning' : 'info'}`;
    connection.textContent =
      status === 'reconnecting'
        ? 'Connection lost. Reconnecting…'
        : status === 'connecting'
          ? 'Connecting…'
          : status === 'stopped'
            ? 'Signed out.'
            : '';

    const m = session.media.status;
    media.hidden = m.kind === 'idle' || m.kind === 'connected' || !session.activeCallDmId;
    media.className = `banner ${m.kind === 'failed' ? 'warning' : 'info'}`;
    media.textContent =
      m.kind === 'unavailable'
        ? 'No audio or video: this server has no media server (LiveKit) configured. Calls, ringing and presence still work.'
        : m.kind === 'connecting'
          ? 'Connecting audio and video…'
          : m.kind === 'failed'
            ? `Audio and video are not connected: ${m.message}`
            : '';

    const problem = session.devices.problem;
    device.hidden = !problem;
    if (problem) renderInto(device, h('span', {}, problem), ' ', closeDevice);

    renderInto(
      notices,
      ...session.notices.map((notice) =>
        h(
          'li',
          { class: `notice ${notice.kind}` },
          h('span', {}, notice.text),
          button('×', () => session.dismissNotice(notice.id), { key: `notice:${notice.id}`, ariaLabel: 'Close this notice', className: 'small' }),
        ),
      ),
    );
  };
  return { element, render };
}
