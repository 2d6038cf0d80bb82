// @ts-check
// Dismissing from the keyboard: Bob presses Escape on the notification. It goes from Bob's screen
// only; Alice and Carol still see him ringing until the ring times out. The dismissal reaches Bob
// alone, so Alice and Carol see a gap in the DM's version and re-fetch; their screens stay live.
import { see } from '../lib/see.mjs';

/** @param {import('../lib/scenario.mjs').ScenarioKit} kit */
export default async function dismiss({ step, user, signIn, screenshot }) {
  const alice = await signIn(user('Alice'));
  const bob = await signIn(user('Bob'));
  const carol = await signIn(user('Carol'));
  const group = `Quiet ${alice.userId.split('-')[1]}`;

  step('Alice calls a group DM; Carol joins, Bob is still ringing');
  await alice.createDm([bob.userId, carol.userId], group);
  await alice.startCall();
  await carol.accept();
  await see(bob.incomingCall(), "Bob's incoming call");

  step('Bob dismisses with Escape');
  await bob.page.keyboard.press('Escape');
  await see(bob.incomingCall(), "Bob's notification to go", 'hidden');
  for (const person of [alice, carol]) await see(person.ringing().filter({ hasText: bob.userId }), `Bob still ringing on ${person.name}'s screen`);

  step('Alice mutes; Carol sees it despite the version gap');
  await alice.toggle('Mute');
  await see(carol.tile('Alice').getByText(/Muted/), "Alice muted on Carol's screen");

  step("Bob's ring times out");
  for (const person of [alice, carol]) {
    await see(person.notInCall().filter({ hasText: bob.userId }).filter({ hasText: 'missed' }), `Bob's ring missed on ${person.name}'s screen`);
  }

  await see(bob.incomingCall(), "no ring on Bob's screen", 'hidden');
  await screenshot(alice, 'after-timeout');
}
