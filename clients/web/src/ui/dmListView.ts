// The DM list: a form to start a DM, then every DM with a live "call in progress" marker.

import { dmTitle, type Session } from '../session';
import { button, h, renderInto } from './dom';

export function dmListView(session: Session): { element: HTMLElement; render: () => void } {
  const members = h('input', { id: 'new-dm-members', name: 'members', required: true, placeholder: 'bob, carol' });
  const name = h('input', { id: 'new-dm-name', name: 'name', maxlength: 100 });
  const form = h(
    'form',
    {
      class: 'new-dm',
      'aria-labelledby': 'new-dm-title',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const ids = members.value.split(/[\s,]+/).filter(Boolean);
        void session.createDm(ids, name.value.trim() || undefined).then((ok) => {
          if (ok) form.reset();
        });
      },
    },
    h('h2', { id: 'new-dm-title' }, 'New DM'),
    h('label', { for: 'new-dm-members' }, 'User ids (one for a 1:1 DM, more for a group)'),
    members,
    h('label', { for: 'new-dm-name' }, 'Group name (optional)'),
    name,
    h('button', { type: 'submit' }, 'Create DM'),
  );

  const list = h('ul', { class: 'dm-list', 'aria-labelledby': 'dm-list-title' });
  const element = h(
    'nav',
    { class: 'dms', 'aria-label': 'Direct messages' },
    form,
    h('div', { class: 'row' }, h('h2', { id: 'dm-list-title' }, 'Your DMs'), button('Refresh', () => void session.refreshDms(), { key: 'refresh-dms', className: 'small' })),
    list,
  );

  const render = () =>
    renderInto(
      list,
      ...session.dms.map((dm) => {
        const presence = session.presence(dm.id);
        const title = dmTitle(dm, session.me.userId);
        const live = presence
          ? h('span', { class: 'live-marker' }, `Call in progress · ${presence.participants.length} in call`)
          : null;
        return h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'dm-link',
              'data-key': `dm:${dm.id}`,
              'aria-current': session.selectedDmId === dm.id ? 'page' : false,
              onclick: () => session.selectDm(dm.id),
            },
            h('span', { class: 'dm-name' }, title),
            h('span', { class: 'dm-kind' }, dm.isGroup ? `Group · ${dm.memberIds.length} members` : '1:1'),
            live,
          ),
        );
      }),
      session.dms.length === 0 ? h('li', { class: 'empty' }, 'No DMs yet.') : null,
    );
  return { element, render };
}
