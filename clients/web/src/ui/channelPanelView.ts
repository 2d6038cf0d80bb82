// The open voice channel: its name and limit, joining and leaving its voice (with the one-call rule
// in words), who is in it, and, for the owner, renaming, the limit and the access list.

import { addMemberHint, leaveHint } from '../channelAccess';
import { isFull } from '../channels';
import type { VoiceChannel } from '../contract';
import type { Session } from '../session';
import { button, h, renderInto } from './dom';
import { participantTile } from './participantTile';

export function channelPanelView(session: Session): { element: HTMLElement; render: () => void } {
  const header = h('header', { class: 'dm-header' });
  const voice = h('section', { class: 'call', 'aria-label': 'Voice' });

  const nameInput = h('input', { id: 'channel-name', name: 'name', required: true, maxlength: 100 });
  const limitInput = h('input', { id: 'channel-limit', name: 'userLimit', type: 'number', min: 0, max: 99 });
  const settings = h(
    'form',
    {
      class: 'channel-settings',
      'aria-label': 'Channel settings',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const channel = current();
        if (!channel) return;
        const patch: { name?: string; userLimit?: number } = {};
        const name = nameInput.value.trim();
        const limit = Number(limitInput.value) || 0;
        if (name !== channel.name) patch.name = name;
        if (limit !== channel.userLimit) patch.userLimit = limit;
        if (patch.name !== undefined || patch.userLimit !== undefined) void session.updateChannel(channel.id, patch);
      },
    },
    h('h3', {}, 'Settings'),
    h('label', { for: 'channel-name' }, 'Name'),
    nameInput,
    h('label', { for: 'channel-limit' }, 'User limit (0 for none)'),
    limitInput,
    h('div', { class: 'inline' }, h('button', { type: 'submit' }, 'Save'), button('Delete channel', () => void deleteChannel(), { key: 'delete-channel', className: 'danger small' })),
  );

  const memberList = h('ul', { class: 'members', 'aria-labelledby': 'channel-members-title' });
  const newMember = h('input', { id: 'channel-add-member', name: 'userId', required: true, 'aria-describedby': 'channel-add-hint' });
  const addMember = h(
    'form',
    {
      onsubmit: (event: Event) => {
        event.preventDefault();
        const channel = current();
        if (!channel) return;
        void session.addChannelMember(channel.id, newMember.value.trim()).then((ok) => {
          if (ok) newMember.value = '';
        });
      },
    },
    h('div', { class: 'inline' }, h('label', { for: 'channel-add-member' }, 'Invite'), newMember, h('button', { type: 'submit' }, 'Invite')),
    h('p', { id: 'channel-add-hint', class: 'hint' }, addMemberHint),
  );
  const selfHint = h('p', { class: 'hint' }, leaveHint);
  const members = h(
    'section',
    { class: 'members-section', 'aria-labelledby': 'channel-members-title' },
    h('h3', { id: 'channel-members-title' }, 'Who may enter'),
    memberList,
    addMember,
    selfHint,
  );
  const element = h('main', { class: 'dm-panel channel-panel', 'aria-label': 'Voice channel', hidden: true }, header, voice, settings, members);

  const current = () => (session.selectedChannelId ? session.channel(session.selectedChannelId) : undefined);
  const deleteChannel = async () => {
    const channel = current();
    if (channel && confirm(`Delete #${channel.name}? Everyone in its voice is taken out.`)) await session.deleteChannel(channel.id);
  };

  let shown: string | null = null;
  let shownVersion = '';
  const render = () => {
    const channel = current();
    element.hidden = !channel;
    if (!channel) return;
    const owner = channel.ownerId === session.me.userId;
    // The settings form keeps what is being typed; it follows the channel when it changes.
    const version = `${channel.id}\n${channel.name}\n${channel.userLimit}`;
    if (shown !== channel.id || shownVersion !== version) {
      nameInput.value = channel.name;
      limitInput.value = String(channel.userLimit);
      if (shown !== channel.id) newMember.value = '';
    }
    shown = channel.id;
    shownVersion = version;
    settings.hidden = !owner;
    addMember.hidden = !owner;
    selfHint.hidden = owner;

    renderHeader(session, header, channel);
    renderVoice(session, voice, channel);
    renderMembers(session, memberList, channel);
  };
  return { element, render };
}

function renderHeader(session: Session, header: HTMLElement, channel: VoiceChannel): void {
  const presence = session.channelPresence(channel.id);
  const count = presence?.participants.length ?? 0;
  const inIt = session.activeChannelId === channel.id;
  const limit = channel.userLimit > 0 ? `${count} of ${channel.userLimit} in voice` : `${count} in voice, no limit`;

  // In its voice already: the call bar has the controls (or, on another device, takes it here).
  let action: HTMLElement | null = null;
  if (!inIt) {
    // One call at a time: joining takes me out of the call I am in, and the button says so first.
    const full = isFull(channel, presence);
    const other = session.activeCall ? session.activeCallName() : null;
    const reason = full ? `The channel is full (${limit}).` : other ? `Joining takes you out of your call in ${other}.` : null;
    action = h(
      'div',
      { class: 'call-buttons' },
      button('Join voice', () => void session.joinChannel(channel.id), { key: 'join-voice', className: 'primary', disabled: full, describedBy: reason ? 'join-voice-reason' : undefined }),
      button('Join with camera', () => void session.joinChannel(channel.id, { video: true }), { key: 'join-video', disabled: full, describedBy: reason ? 'join-voice-reason' : undefined }),
      reason ? h('p', { id: 'join-voice-reason', class: 'hint' }, reason) : null,
    );
  }

  renderInto(
    header,
    h('h2', { id: 'channel-title' }, `# ${channel.name}`),
    h('span', { class: 'dm-kind' }, `Voice channel · ${limit}`),
    inIt ? h('span', { class: 'live-marker' }, session.seatHere ? 'You are in voice' : 'You are in voice on another device') : count > 0 ? h('span', { class: 'live-marker' }, 'Live') : null,
    action,
  );
}

function renderVoice(session: Session, region: HTMLElement, channel: VoiceChannel): void {
  const presence = session.channelPresence(channel.id);
  const inIt = session.activeChannelId === channel.id;
  renderInto(
    region,
    h('h3', { id: 'voice-title' }, `In voice (${presence?.participants.length ?? 0})`),
    presence && presence.participants.length > 0
      ? h('ul', { class: 'tiles', 'aria-labelledby': 'voice-title' }, ...presence.participants.map((p) => participantTile(session, p, inIt)))
      : h('p', { class: 'empty' }, 'Nobody is in voice. Join to start talking; nobody is rung.'),
  );
}

function renderMembers(session: Session, list: HTMLElement, channel: VoiceChannel): void {
  const me = session.me.userId;
  const iOwn = channel.ownerId === me;
  renderInto(
    list,
    ...channel.memberIds.map((id) => {
      const canRemove = id !== channel.ownerId && (iOwn || id === me);
      return h(
        'li',
        {},
        h('span', {}, id === me ? `${id} (you)` : id),
        id === channel.ownerId ? h('span', { class: 'badge' }, 'owner') : null,
        canRemove
          ? button(id === me ? 'Leave channel' : 'Remove', () => void session.removeChannelMember(channel.id, id), {
              key: `channel-remove:${id}`,
              ariaLabel: id === me ? 'Leave this channel' : `Take ${id}’s access away`,
              className: 'small',
            })
          : null,
      );
    }),
    ...(channel.invitedIds ?? []).map((id) =>
      h(
        'li',
        {},
        h('span', {}, id),
        h('span', { class: 'badge' }, 'invited'),
        iOwn
          ? button('Withdraw', () => void session.removeChannelMember(channel.id, id), {
              key: `channel-withdraw:${id}`,
              ariaLabel: `Withdraw ${id}’s invite`,
              className: 'small',
            })
          : null,
      ),
    ),
  );
}
