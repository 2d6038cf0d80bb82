// @ts-check
// Alice picks her microphone, camera and speaker from Chromium's fake devices; the choice is
// remembered by her browser after a reload, and changing it during a call keeps the call. When a
// chosen device goes away she is told so. Bob's browser refuses the microphone and camera, and
// his screen says so in words.
import { see, seeChosen } from '../lib/see.mjs';

/** @param {import('../lib/scenario.mjs').ScenarioKit} kit */
export default async function devices({ step, user, signIn, newContext, screenshot }) {
  // A stand-in for unplugging: devices listed in window.unplugged vanish from enumerateDevices.
  const aliceContext = await newContext();
  await aliceContext.addInitScript(() => {
    const w = /** @type {any} */ (window);
    w.unplugged = [];
    const enumerate = navigator.mediaDevices.enumerateDevices.bind(navigator.mediaDevices);
    navigator.mediaDevices.enumerateDevices = async () => (await enumerate()).filter((d) => !w.unplugged.includes(d.deviceId));
  });
  const alice = await signIn(user('Alice'), { context: aliceContext });
  const bob = await signIn(user('Bob'));

  step('Alice opens her devices and checks the microphone and camera (asking the browser first if need be)');
  await alice.page.getByText('Devices and notifications').click();
  await alice.page.getByRole('button', { name: /^(Allow|Check) microphone and camera$/ }).click();
  await see(alice.notices().filter({ hasText: 'The microphone and camera work.' }), 'Alice told they work');
  await see(alice.page.getByRole('button', { name: 'Check microphone and camera' }), 'the devices named now');
  const microphone = alice.page.getByLabel('Microphone');
  const camera = alice.page.getByLabel('Camera', { exact: true });
  const micOptions = await microphone.locator('option').allTextContents();
  const camOptions = await camera.locator('option').allTextContents();
  step(`microphones: ${micOptions.join(', ')}; cameras: ${camOptions.join(', ')}`);
  if (micOptions.length < 2 || camOptions.length < 2) throw new Error('expected Chromium\'s fake microphones and camera to be listed');
  const speakerShown = await alice.page.getByLabel('Speaker').isVisible();
  step(`speaker choice ${speakerShown ? 'offered' : 'not offered by this browser'}`);

  step('Alice picks the last microphone and the camera; a reload keeps them');
  const micLabel = micOptions[micOptions.length - 1];
  const camLabel = camOptions[camOptions.length - 1];
  await microphone.selectOption({ label: micLabel });
  await camera.selectOption({ label: camLabel });
  if (speakerShown) await alice.page.getByLabel('Speaker').selectOption({ index: 1 });
  await screenshot(alice, 'chosen');
  await alice.page.reload();
  await alice.waitUntilConnected();
  await alice.page.getByText('Devices and notifications').click();
  await seeChosen(alice.page.getByLabel('Microphone'), micLabel, 'the microphone remembered');
  await seeChosen(alice.page.getByLabel('Camera', { exact: true }), camLabel, 'the camera remembered');

  step('In a call, Alice switches her microphone back to the default; the call goes on');
  await alice.createDm([bob.userId]);
  await alice.startCall();
  await alice.page.getByLabel('Microphone').selectOption({ label: 'System default' });
  await see(alice.callBar().getByRole('button', { name: 'Leave call' }), "Alice's call goes on");

  step('Her chosen camera goes away: she is told, and the default takes over');
  const cameraId = await alice.page.getByLabel('Camera', { exact: true }).inputValue();
  await alice.page.evaluate((id) => {
    /** @type {any} */ (window).unplugged.push(id);
    navigator.mediaDevices.dispatchEvent(new Event('devicechange'));
  }, cameraId);
  await see(alice.page.getByRole('alert').filter({ hasText: 'Your camera was disconnected. Using the system default instead.' }), 'Alice told her camera went away');
  await seeChosen(alice.page.getByLabel('Camera', { exact: true }), 'System default', 'the default camera chosen');
  await screenshot(alice, 'camera-gone');
  await alice.leaveCall();

  step("Bob's browser refuses the microphone and camera");
  await bob.page.evaluate(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  await bob.page.getByText('Devices and notifications').click();
  await bob.page.getByRole('button', { name: /^(Allow|Check) microphone and camera$/ }).click();
  await see(bob.page.getByRole('alert').filter({ hasText: 'The browser refused the microphone or camera.' }), 'Bob told in words');
  await screenshot(bob, 'refused');
}
