// Devices: the microphone, camera and speaker this browser uses (remembered across visits), asking
// the browser for them, and desktop notifications for incoming calls.

import { deviceKinds, deviceNames, type DeviceKind } from '../devices';
import type { Session } from '../session';
import { button, h, renderInto } from './dom';

export function devicesView(session: Session): { element: HTMLElement; render: () => void } {
  const selects = new Map<DeviceKind, HTMLSelectElement>();
  const rows = deviceKinds.map((kind) => {
    const select = h('select', { id: `device-${kind}`, onchange: () => session.chooseDevice(kind, select.value) });
    selects.set(kind, select);
    return h('div', { class: 'device-row' }, h('label', { for: `device-${kind}` }, deviceNames[kind]), select);
  });
  const outputNote = h('p', { class: 'hint' }, 'This browser plays calls on the system’s speaker; it does not let a page choose another.');
  const actions = h('div', { class: 'device-actions' });
  // Collapsed until wanted; device problems show in the status lines at the top, open or not.
  const element = h('details', { class: 'devices' }, h('summary', {}, 'Devices and notifications'), ...rows, outputNote, actions);

  const check = async () => {
    if (await session.devices.askPermission()) session.notify('info', 'The microphone and camera work.');
  };

  const render = () => {
    const devices = session.devices;
    for (const [kind, select] of selects) {
      const options = [h('option', { value: '' }, 'System default'), ...devices.list(kind).map((d, i) => h('option', { value: d.deviceId }, d.label || `${deviceNames[kind]} ${i + 1}`))];
      const chosen = devices.chosen[kind];
      // Only rebuild when the list changed, so an open list is not closed under the pointer.
      const signature = options.map((o) => `${o.value}=${o.textContent}`).join('\n');
      if (select.dataset.signature !== signature) {
        select.replaceChildren(...options);
        select.dataset.signature = signature;
      }
      if (select.value !== chosen) select.value = devices.list(kind).some((d) => d.deviceId === chosen) ? chosen : '';
    }

    const outputRow = selects.get('audiooutput')?.parentElement;
    if (outputRow) outputRow.hidden = !devices.canChooseOutput;
    outputNote.hidden = devices.canChooseOutput;

    const canNotify = 'Notification' in window;
    renderInto(
      actions,
      // Before the page may use them the browser lists them without names; asking again later checks them.
      button(devices.labelled ? 'Check microphone and camera' : 'Allow microphone and camera', () => void check(), { key: 'allow-devices', className: 'small' }),
      canNotify && Notification.permission === 'default'
        ? button('Turn on call notifications', () => void Notification.requestPermission().then(() => session.notify('info', notificationWords())), { key: 'allow-notifications', className: 'small' })
        : null,
      canNotify && Notification.permission !== 'default' ? h('p', { class: 'hint' }, notificationWords()) : null,
    );
  };
  return { element, render };
}

function notificationWords(): string {
  return Notification.permission === 'granted'
    ? 'Desktop notifications are on for incoming calls while this tab is hidden.'
    : 'Desktop notifications are blocked for this site; allow them in the browser’s settings.';
}
