// @ts-check
// Bob is removed from a group DM during its call: Bob's screen says so, Bob is out of the call and
// the DM is gone from his list; Alice sees him leave.
import { see, seeCount } from '../lib/see.mjs';

/** @param {import('../lib/scenario.mjs').ScenarioKit} kit */
export default async function removedFromDm({ step, user, signIn, screenshot }) {
  const alice = await signIn(user('Alice'));
  const bob = await signIn(user('Bob'));
  const carol = user('Carol');
  const group = `Team ${alice.userId.split('-')[1]}`;

  step('Alice calls a group DM; Bob joins');
  await alice.createDm([bob.userId, carol.userId], group);
  await alice.startCall();
  await bob.accept();
  for (const person of [alice, bob]) await seeCount(person.participants(), 2, `two people in ${person.name}'s call`);

  step('Alice, the owner, removes Bob from the DM');
  await alice.page.getByRole('button', { name: `Remove ${bob.userId}` }).click();

  await see(bob.notices().filter({ hasText: `You were removed from ${group}.` }), 'Bob is told he was removed');
  await see(bob.callBar(), "Bob's call bar to go", 'hidden');
  await see(bob.dmLink(group), "the DM to go from Bob's list", 'hidden');
  await see(bob.incomingCall(), 'no ring on Bob\'s screen', 'hidden');
  await seeCount(alice.participants(), 1, "only Alice left in her call");
  await see(alice.page.getByRole('button', { name: `Remove ${bob.userId}` }), "Bob gone from Alice's member list", 'hidden');
  await screenshot(bob, 'removed');
}
