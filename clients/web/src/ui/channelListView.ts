// Voice channels in the sidebar: a form to create one, then every channel I may enter, with who is
// in its voice right now.

import { parseMemberIds } from '../channelAccess';
import { isFull } from '../channels';
import type { Session } from '../session';
import { button, h, renderInto } from './dom';

export function channelListView(session: Session): { element: HTMLElement; render: () => void } {
  const name = h('input', { id: 'new-channel-name', name: 'name', required: true, maxlength: 100 });
  const members = h('input', { id: 'new-channel-members', name: 'members', placeholder: 'bob, carol' });
  const limit = h('input', { id: 'new-channel-limit', name: 'userLimit', type: 'number', min: 0, max: 99, value: 0 });
  const form = h(
    'form',
    {
      class: 'new-channel',
      'aria-label': 'New voice channel',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const ids = parseMemberIds(members.value, session.me.userId);
        void session.createChannel(name.value.trim(), ids, Number(limit.value) || 0).then((ok) => {
          if (ok) {
            form.reset();
            details.open = false;
          }
        });
      },
    },
    h('label', { for: 'new-channel-name' }, 'Channel name'),
    name,
    h('label', { for: 'new-channel-members' }, 'Who may enter (user ids)'),
    members,
    h('label', { for: 'new-channel-limit' }, 'User limit (0 for none)'),
    limit,
    h('button', { type: 'submit' }, 'Create channel'),
  );
  const details = h('details', { class: 'new-channel-box' }, h('summary', {}, 'New voice channel'), form);

  const list = h('ul', { class: 'channel-list', 'aria-labelledby': 'channel-list-title' });
  const invites = h('ul', { class: 'channel-list', 'aria-label': 'Channel invites' });
  const element = h(
    'nav',
    { class: 'channels', 'aria-label': 'Voice channels' },
    h('div', { class: 'row' }, h('h2', { id: 'channel-list-title' }, 'Voice channels'), button('Refresh', () => void session.refreshChannels(), { key: 'refresh-channels', className: 'small' })),
    invites,
    list,
    details,
  );

  const renderInvites = () =>
    renderInto(
      invites,
      ...session.invites.map((invite) =>
        h(
          'li',
          { class: 'channel-invite' },
          h('span', { class: 'dm-name' }, `Invite to # ${invite.name}`),
          h('span', { class: 'dm-kind' }, `from ${invite.ownerId}`),
          button('Accept', () => void session.acceptInvite(invite.channelId), { key: `accept:${invite.channelId}`, className: 'small', ariaLabel: `Accept the invite to #${invite.name}` }),
          button('Decline', () => void session.declineInvite(invite.channelId), { key: `decline:${invite.channelId}`, className: 'small', ariaLabel: `Decline the invite to #${invite.name}` }),
        ),
      ),
    );

  const render = () => {
    renderInvites();
    renderList();
  };

  const renderList = () =>
    renderInto(
      list,
      ...session.channels.map((channel) => {
        const presence = session.channelPresence(channel.id);
        const people = presence?.participants ?? [];
        const mine = session.activeChannelId === channel.id;
        const limitText = channel.userLimit > 0 ? ` · ${people.length}/${channel.userLimit}${isFull(channel, presence) ? ' full' : ''}` : '';
        return h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'dm-link',
              'data-key': `channel:${channel.id}`,
              'aria-current': session.selectedChannelId === channel.id ? 'page' : false,
              onclick: () => session.selectChannel(channel.id),
            },
            h('span', { class: 'dm-name' }, `# ${channel.name}`),
            h('span', { class: 'dm-kind' }, `${channel.memberIds.length} with access${limitText}`),
            people.length > 0
              ? h('span', { class: 'live-marker' }, `${mine ? 'You are in voice' : 'Live'} · ${people.map((p) => p.displayName).join(', ')}`)
              : null,
          ),
        );
      }),
      session.channels.length === 0 ? h('li', { class: 'empty' }, 'No voice channels yet.') : null,
    );
  return { element, render };
}
