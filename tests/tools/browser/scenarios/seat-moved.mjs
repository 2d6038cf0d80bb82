// @ts-check
// Bob has the client open in two tabs, each a device of its own. He answers Alice in tab 1, then
// takes the call in tab 2: tab 1 says the call moved to another device and offers to take it back,
// which moves it back. Alice sees Bob in the call throughout, once.
import { see, seeCount } from '../lib/see.mjs';

/** Waits until the keyboard focus is on the call bar's button `name`. */
async function seeFocus(/** @type {import('../lib/person.mjs').Person} */ person, /** @type {string} */ name) {
  const focused = person.callBar().getByRole('button', { name, exact: true }).and(person.page.locator(':focus'));
  await see(focused, `the focus on ${name} in ${person.name}'s call bar`);
}

/** @param {import('../lib/scenario.mjs').ScenarioKit} kit */
export default async function seatMoved({ step, user, signIn, screenshot }) {
  const alice = await signIn(user('Alice'));
  const bobUser = user('Bob');
  const bob1 = await signIn(bobUser, { tab: 'tab 1' });
  const bob2 = await signIn(bobUser, { context: bob1.page.context(), tab: 'tab 2' });
  const moved = 'Your call moved to another of your devices.';

  step('Alice calls Bob; he answers in tab 1; tab 2 sees the call on another device');
  await alice.createDm([bobUser.userId]);
  await alice.startCall();
  await bob1.accept();
  await see(bob2.callBar().getByText('You are in this call on another of your devices.'), "Bob's tab 2 knows the call is elsewhere");
  await see(bob2.callBar().getByRole('button', { name: 'Mute' }), "no controls on Bob's tab 2", 'hidden');

  step('Bob takes the call in tab 2; tab 1 says it moved and drops its controls');
  await bob2.callBar().getByRole('button', { name: 'Take the call here' }).click();
  await see(bob2.callBar().getByRole('button', { name: 'Mute' }), "the controls on Bob's tab 2");
  await see(bob1.callBar().getByText(moved), "Bob's tab 1 says the call moved");
  await see(bob1.callBar().getByRole('button', { name: 'Mute' }), "no controls on Bob's tab 1", 'hidden');
  await see(bob1.page.getByText('You are in this call on another device', { exact: true }), "Bob's tab 1 header says where the call is");
  await alice.openDm(bobUser.userId);
  await seeCount(alice.participants(), 2, 'Bob in the call once, on Alice\'s screen');
  await screenshot(bob1, 'moved-away');

  step('Tab 1 takes it back with the keyboard; tab 2 says it moved; the focus follows in both');
  await bob1.callBar().getByRole('button', { name: 'Take the call here' }).focus();
  await bob1.page.keyboard.press('Enter');
  await see(bob1.callBar().getByRole('button', { name: 'Mute' }), "the controls back on Bob's tab 1");
  await see(bob2.callBar().getByText(moved), "Bob's tab 2 says the call moved");
  await seeFocus(bob1, 'Mute');
  await seeFocus(bob2, 'Take the call here');
  await bob1.toggle('Mute');
  await see(alice.tile('Bob').getByText('Muted'), "Bob's mute from tab 1, on Alice's screen");
  await seeCount(alice.participants(), 2, 'still two in the call');

  step('Bob leaves from tab 1; both tabs are out');
  await bob1.leaveCall();
  await see(bob2.callBar(), "Bob's tab 2 call bar to go", 'hidden');
}
