// @ts-check
// Nobody answers: the ring times out (after 8 s here), Bob's notification goes away by itself, Bob has a
// missed call, and Alice's 1:1 call ends as "No answer".
import { see } from '../lib/see.mjs';

/** @param {import('../lib/scenario.mjs').ScenarioKit} kit */
export default async function ringTimeout({ step, user, signIn, screenshot }) {
  const alice = await signIn(user('Alice'));
  const bob = await signIn(user('Bob'));

  step('Alice calls Bob, who does not answer');
  await alice.createDm([bob.userId]);
  await alice.startCall();
  await see(bob.incomingCall().getByRole('heading', { name: 'Alice is calling' }), "Bob's incoming call");
  await see(bob.missedCalls().filter({ hasText: 'None.' }), 'no missed calls yet');

  step('The ring times out');
  await see(bob.incomingCall(), "Bob's notification to go when the ring times out", 'hidden');
  await see(bob.missedCalls().filter({ hasText: `Missed call from ${alice.userId}` }), "a missed call from Alice in Bob's list");
  await see(alice.notices().filter({ hasText: 'Call ended: No answer.' }), 'Alice is told nobody answered');
  await see(alice.callBar(), "Alice's call bar to go", 'hidden');
  await see(alice.callHistory().filter({ hasText: 'No answer' }).filter({ hasText: `${bob.userId}: missed` }), "the unanswered call in Alice's history");
  await screenshot(bob, 'missed-call');
}
