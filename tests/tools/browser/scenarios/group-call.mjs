// @ts-check
// Group of three: Bob and Carol are rung, Carol declines and Alice sees it, Bob joins, Bob leaves,
// and Alice's call goes on with Alice alone until she leaves.
import { see, seeCount } from '../lib/see.mjs';

/** @param {import('../lib/scenario.mjs').ScenarioKit} kit */
export default async function groupCall({ step, user, signIn, screenshot }) {
  const alice = await signIn(user('Alice'));
  const bob = await signIn(user('Bob'));
  const carol = await signIn(user('Carol'));
  const group = `Trio ${alice.userId.split('-')[1]}`;

  step('Alice creates a group DM with Bob and Carol and calls');
  await alice.createDm([bob.userId, carol.userId], group);
  await alice.startCall();
  for (const person of [bob, carol]) {
    await see(person.incomingCall().getByRole('heading', { name: 'Alice is calling' }), `${person.name}'s incoming call`);
    await see(person.incomingCall().getByText(`Incoming call in ${group}.`, { exact: false }), `${person.name}'s notification names the group`);
  }

  await seeCount(alice.ringing(), 2, 'Alice sees two people ringing');

  step('Carol declines; Alice sees it');
  await carol.decline();
  await see(carol.incomingCall(), "Carol's notification to go", 'hidden');
  await see(alice.notInCall().filter({ hasText: carol.userId }).filter({ hasText: 'declined' }), 'Carol declined, on Alice\'s screen');
  await seeCount(alice.ringing(), 1, 'Alice sees only Bob ringing');

  step('Bob joins');
  await bob.accept();
  for (const person of [alice, bob]) await seeCount(person.participants(), 2, `two people in ${person.name}'s call`);
  await screenshot(alice, 'declined-and-joined');

  step("Bob leaves; Alice's call goes on with Alice alone");
  await bob.leaveCall();
  await seeCount(alice.participants(), 1, "Alice alone in her call");
  await see(alice.tile('Alice (you)'), "Alice's own tile");
  await see(alice.callBar().getByText('1 person'), "Alice's call bar: 1 person");
  await see(bob.dmLink(group).getByText('Call in progress'), "the call still in progress on Bob's DM list");
  await screenshot(alice, 'alone');

  step('Alice leaves: the call ends for everyone');
  await alice.leaveCall();
  for (const person of [alice, bob, carol]) {
    await see(person.dmLink(group).getByText('Call in progress'), `no call in progress on ${person.name}'s DM list`, 'hidden');
  }

  await see(alice.callHistory().filter({ hasText: `${bob.userId}: answered` }).filter({ hasText: `${carol.userId}: declined` }), "the call in Alice's history with each outcome");
}
