// Missed calls across all my DMs (missed, busy or cancelled rings), newest first.

import { dmTitle, type Session } from '../session';
import { h, renderInto } from './dom';
import { outcomeWords, timeText } from './words';

export function missedCallsView(session: Session): { element: HTMLElement; render: () => void } {
  const list = h('ol', { class: 'records', 'aria-labelledby': 'missed-title' });
  const element = h('section', { class: 'missed', 'aria-labelledby': 'missed-title' }, h('h2', { id: 'missed-title' }, 'Missed calls'), list);

  const render = () =>
    renderInto(
      list,
      ...session.missedCalls.map((record) => {
        const dm = session.dm(record.dmGroupId);
        const outcome = record.outcomes.find((o) => o.userId === session.me.userId)?.outcome ?? 'missed';
        const where = dm?.isGroup ? ` in ${dmTitle(dm, session.me.userId)}` : '';
        return h(
          'li',
          { class: 'record' },
          h('span', { class: 'record-when' }, timeText(record.startedAt)),
          h('span', {}, ` · ${outcomeWords(outcome) === 'missed' ? 'Missed call' : `Call (${outcomeWords(outcome)})`} from ${record.startedBy}${where}`),
        );
      }),
      session.missedCalls.length === 0 ? h('li', { class: 'empty' }, 'None.') : null,
    );
  return { element, render };
}
