// @ts-check
// 1:1: Alice calls Bob, Bob's notification counts down, Bob accepts, both see two people, Alice
// mutes and Bob sees it, Bob leaves, Alice leaves, and both histories show the call.
import { see, seeCount } from '../lib/see.mjs';

/** @param {import('../lib/scenario.mjs').ScenarioKit} kit */
export default async function oneToOne({ step, user, signIn, screenshot }) {
  const alice = await signIn(user('Alice'));
  const bob = await signIn(user('Bob'));

  step('Alice starts a 1:1 DM with Bob and calls');
  await alice.createDm([bob.userId]);
  await alice.startCall();
  await see(alice.ringing().filter({ hasText: bob.userId }), 'Alice sees Bob ringing');

  step("Bob's notification: caller, countdown, Accept / Decline / Dismiss");
  const ring = bob.incomingCall();
  await see(ring.getByRole('heading', { name: 'Alice is calling' }), "Bob's incoming call from Alice");
  await see(ring.getByText(/^[1-8] s$/), 'a countdown of at most 8 s (the test gateway rings for 8 s)');
  for (const action of ['Accept', 'Decline', 'Dismiss']) await see(ring.getByRole('button', { name: action }), `an ${action} button`);
  const focused = await bob.page.evaluate(() => document.activeElement?.textContent);
  if (focused !== 'Accept') throw new Error(`the notification should take focus on Accept, focus is on "${focused}"`);
  await screenshot(bob, 'incoming-call');

  step('Bob accepts with the keyboard; both see two people in the call');
  await bob.page.keyboard.press('Enter');
  await see(ring, "Bob's notification to go", 'hidden');
  for (const person of [alice, bob]) await seeCount(person.participants(), 2, `two people in ${person.name}'s call`);

  step('Alice mutes; Bob sees it');
  await alice.toggle('Mute');
  await see(bob.tile('Alice').getByText(/Muted/), "Alice muted on Bob's screen");
  await see(alice.tile('Alice (you)').getByText(/Muted/), "Alice muted on her own screen");
  await screenshot(alice, 'in-call');

  step('Bob leaves, then Alice leaves: the call ends');
  await bob.leaveCall();
  await seeCount(alice.participants(), 1, "one person left in Alice's call");
  await see(alice.tile('Bob'), "Bob's tile to go from Alice's screen", 'hidden');
  await alice.leaveCall();
  for (const person of [alice, bob]) {
    await see(person.page.getByText('Call in progress').first(), `no call in progress on ${person.name}'s screen`, 'hidden');
    await see(person.callHistory().filter({ hasText: `started by ${alice.userId}` }).filter({ hasText: 'Ended' }), `the call in ${person.name}'s history`);
    await see(person.callHistory().filter({ hasText: `${bob.userId}: answered` }), `Bob answered, in ${person.name}'s history`);
  }

  await screenshot(bob, 'history');
}
