// @ts-check
// Bob has the client open in two tabs. Both ring; accepting in one stops the ringing in the other,
// which then shows Bob in the call too. Rung again later, Bob declines in one tab and the other
// stops ringing as well (a group DM, so the call goes on and only the ring ends).
import { see, seeCount } from '../lib/see.mjs';

/** @param {import('../lib/scenario.mjs').ScenarioKit} kit */
export default async function twoTabs({ step, user, signIn, screenshot }) {
  const alice = await signIn(user('Alice'));
  const bobUser = user('Bob');
  const bob1 = await signIn(bobUser, { tab: 'tab 1' });
  const bob2 = await signIn(bobUser, { context: bob1.page.context(), tab: 'tab 2' });
  const group = `Tabs ${alice.userId.split('-')[1]}`;

  step("Alice calls a group DM; both of Bob's tabs ring");
  await alice.createDm([bobUser.userId, user('Carol').userId], group);
  await alice.startCall();
  for (const tab of [bob1, bob2]) await see(tab.incomingCall().getByRole('heading', { name: 'Alice is calling' }), `the call ringing in Bob's ${tab.name}`);
  await screenshot(bob2, 'ringing');

  step('Bob accepts in tab 1; tab 2 stops ringing');
  await bob1.accept();
  await see(bob2.incomingCall(), "the ring to stop in Bob's tab 2", 'hidden');
  await see(bob2.callBar(), "Bob's tab 2 shows him in the call");
  await bob2.openDm(group);
  await seeCount(bob2.participants(), 2, "two people in the call on Bob's tab 2");
  await see(bob2.tile('Bob (you)'), "Bob's own tile on tab 2");
  await screenshot(bob2, 'answered-elsewhere');

  step('Bob leaves; Alice rings him again; he declines in tab 2 and tab 1 stops ringing');
  await bob1.leaveCall();
  await see(bob2.callBar(), "Bob's tab 2 call bar to go", 'hidden');
  await alice.page.getByRole('button', { name: `Ring ${bobUser.userId} again` }).click();
  for (const tab of [bob1, bob2]) await see(tab.incomingCall(), `the new ring in Bob's ${tab.name}`);
  await bob2.decline();
  await see(bob1.incomingCall(), "the ring to stop in Bob's tab 1", 'hidden');
  await see(alice.notInCall().filter({ hasText: bobUser.userId }).filter({ hasText: 'declined' }), "Bob declined, on Alice's screen");
  await see(alice.callBar(), "Alice's call going on");
}
