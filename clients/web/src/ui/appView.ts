// The signed-in screen: header, status lines, DM list and missed calls, the open DM, the call bar
// and incoming calls. Every change to the session re-renders once, at the end of the task.

import type { Session } from '../session';
import { bannersView } from './bannersView';
import { callBarView } from './callBarView';
import { channelListView } from './channelListView';
import { channelPanelView } from './channelPanelView';
import { devicesView } from './devicesView';
import { dmListView } from './dmListView';
import { dmPanelView } from './dmPanelView';
import { button, h } from './dom';
import { incomingCallView } from './incomingCallView';
import { missedCallsView } from './missedCallsView';
import { secondsUntil } from './words';

/** `afterRender` runs after every render (the ringer follows the rings from there). */
export function appView(session: Session, signOut: () => void, afterRender?: () => void): HTMLElement {
  const banners = bannersView(session);
  const dmList = dmListView(session);
  const missed = missedCallsView(session);
  const channels = channelListView(session);
  const devices = devicesView(session);
  const panel = dmPanelView(session);
  const channelPanel = channelPanelView(session);
  const callBar = callBarView(session);
  const incoming = incomingCallView(session);
  const parts = [banners, dmList, missed, channels, devices, panel, channelPanel, callBar, incoming];

  dmList.element.append(missed.element);
  const sidebar = h('div', { class: 'sidebar' }, dmList.element, channels.element, devices.element);
  const element = h(
    'div',
    { class: 'app' },
    h(
      'header',
      { class: 'top' },
      h('h1', {}, 'DmVoice'),
      h('span', { class: 'who' }, `Signed in as ${session.me.displayName} (${session.me.userId})`),
      button('Sign out', signOut, { key: 'sign-out', className: 'small' }),
    ),
    banners.element,
    callBar.element,
    h('div', { class: 'layout' }, sidebar, panel.element, channelPanel.element),
    incoming.element,
  );

  let scheduled = false;
  const renderAll = () => {
    scheduled = false;
    parts.forEach((part) => part.render());
    panel.element.hidden = session.selectedChannelId !== null;
    afterRender?.();
    updateCountdowns(element);
  };
  session.subscribe(() => {
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(renderAll);
    }
  });
  setInterval(() => updateCountdowns(element), 250);
  renderAll();
  return element;
}

/** Countdowns show the seconds left until their `data-expires-at`. */
function updateCountdowns(root: HTMLElement): void {
  root.querySelectorAll<HTMLElement>('[data-expires-at]').forEach((el) => {
    const text = `${secondsUntil(el.dataset.expiresAt ?? '')} s`;
    if (el.textContent !== text) el.textContent = text;
  });
}
