// @ts-check
// Alice starts a 1:1 call with the camera button: she joins with her camera on, and Bob sees it.
// While she is in that call, the call buttons of her other DM are off and say why. Bob joins with
// the phone button (camera off); his header shows the call as his own and live.
import { see, seeCount } from '../lib/see.mjs';

/** @param {import('../lib/scenario.mjs').ScenarioKit} kit */
export default async function videoCall({ step, user, signIn, screenshot }) {
  const alice = await signIn(user('Alice'));
  const bob = await signIn(user('Bob'));
  const carol = user('Carol');
  const group = `Video ${alice.userId.split('-')[1]}`;
  await alice.createDm([bob.userId, carol.userId], group);
  await alice.createDm([bob.userId]);

  step('The DM header has a phone and a camera button');
  const voice = alice.page.getByRole('group', { name: 'Call' }).getByRole('button', { name: 'Start voice call' });
  await see(voice, "Alice's phone button");
  await see(alice.page.getByRole('group', { name: 'Call' }).getByRole('button', { name: 'Start video call' }), "Alice's camera button");

  step('Alice starts the call with the camera button; her camera is on, and Bob sees it');
  await alice.startCall({ video: true });
  await see(alice.callBar().getByRole('button', { name: 'Camera', pressed: true, exact: true }), "Alice's camera on in her call bar");
  await see(alice.page.getByText('You are in this call', { exact: true }), "Alice's header shows the call as hers");
  await see(bob.incomingCall(), 'Bob rings');
  await bob.page.keyboard.press('Escape');
  await see(bob.incomingCall(), "Bob's ring silenced", 'hidden');
  await bob.openDm(alice.userId);
  await see(bob.tile('Alice').getByText('Camera on'), "Alice's camera on, on Bob's screen");
  await see(bob.page.getByText('Call in progress'), "Bob's header shows the live call");
  await screenshot(bob, 'live-call-buttons');

  step("Alice's other DM: the buttons are off while she is in a call on this device, and say why");
  await alice.openDm(group);
  await see(alice.page.getByRole('button', { name: 'Start voice call', disabled: true }), 'the phone button off');
  await see(alice.page.getByRole('button', { name: 'Start video call', disabled: true }), 'the camera button off');
  const reason = `You are in a call in ${bob.userId} on this device. Leave it first.`;
  await see(alice.page.getByText(reason), 'the reason in words');
  const describedBy = await alice.page.getByRole('button', { name: 'Start voice call' }).getAttribute('aria-describedby');
  const description = describedBy ? await alice.page.locator(`#${describedBy}`).textContent() : null;
  if (description !== reason) throw new Error(`the phone button is described by "${description}", not the reason`);
  await screenshot(alice, 'buttons-off-in-another-call');

  step('Bob joins with the phone button: in the call with his camera off');
  await bob.page.getByRole('button', { name: 'Join voice call' }).click();
  await see(bob.callBar(), "Bob's call bar");
  await see(bob.callBar().getByRole('button', { name: 'Camera', pressed: false, exact: true }), "Bob's camera off");
  await seeCount(bob.participants(), 2, 'two in the call');
  await see(bob.page.getByText('You are in this call', { exact: true }), "Bob's header shows the call as his");

  step("Alice leaves; her other DM's buttons are on again");
  await alice.leaveCall();
  await see(alice.page.getByRole('button', { name: 'Start voice call', disabled: false }), 'the phone button on again');
}
