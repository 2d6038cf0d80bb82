// @ts-check
// With media connected (a fake livekit-client in place of the real one, since no LiveKit server
// runs here), the tile of whoever speaks lights up and each participant's connection quality
// shows. A video call publishes the camera; switching the microphone mid-call switches LiveKit's
// device and keeps the call; a refused microphone is told in words. A voice channel's media uses
// a channel token.
import { see, seeCount } from '../lib/see.mjs';

/** @param {import('../lib/scenario.mjs').ScenarioKit} kit */
export default async function speaking({ step, user, signIn, newContext, fakeLiveKit, screenshot }) {
  const contexts = [await newContext(), await newContext(), await newContext()];
  for (const context of contexts) await fakeLiveKit(context);
  const alice = await signIn(user('Alice'), { context: contexts[0] });
  const bob = await signIn(user('Bob'), { context: contexts[1] });
  const carol = await signIn(user('Carol'), { context: contexts[2] });
  const group = `Talk ${alice.userId.split('-')[1]}`;
  /** @param {import('../lib/person.mjs').Person} person */
  const calls = (person) => person.page.evaluate(() => /** @type {any} */ (window).fakeLiveKit?.calls.map((/** @type {any} */ c) => ({ name: c.name, args: c.name === 'new Room' ? [] : c.args })) ?? []);
  /** @param {import('../lib/person.mjs').Person} person @param {string} name */
  const waitForCall = async (person, name, /** @type {(args: any[]) => boolean} */ match = () => true) => {
    for (const deadline = Date.now() + 15000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      if ((await calls(person)).some((c) => c.name === name && match(c.args))) return;
    }
    throw new Error(`expected ${person.name}'s client to call LiveKit's ${name}; it called ${JSON.stringify(await calls(person))}`);
  };

  step('Alice starts a video call in a group DM: media connects and publishes her camera');
  await alice.createDm([bob.userId, carol.userId], group);
  const token = alice.page.waitForResponse((r) => r.url().endsWith('/livekit/dm-token'));
  await alice.startCall({ video: true });
  await token;
  await waitForCall(alice, 'connect');
  await waitForCall(alice, 'setCameraEnabled', (args) => args[0] === true);
  await waitForCall(alice, 'setMicrophoneEnabled', (args) => args[0] === true);
  await see(alice.page.getByRole('status').filter({ hasText: /Audio and video/ }), 'no media warning for Alice', 'hidden');

  step('Bob and Carol join; Bob speaks, and his tile lights up on Alice\'s screen');
  await bob.accept();
  await carol.accept();
  await seeCount(alice.participants(), 3, 'three in the call');
  await alice.page.evaluate((id) => {
    const room = /** @type {any} */ (window).fakeLiveKit.rooms.at(-1);
    room.emit('activeSpeakersChanged', [{ identity: id }]);
    room.emit('connectionQualityChanged', 'excellent', { identity: id });
  }, bob.userId);
  await see(alice.tile('Bob').getByText(/^Speaking · /), "Bob speaking, on Alice's screen");
  await see(alice.tile('Bob').getByText('Connection excellent'), "Bob's connection quality");
  await see(alice.tile('Carol').getByText('Speaking'), 'Carol not speaking', 'hidden');
  const lit = await alice.tile('Bob').evaluate((tile) => tile.classList.contains('speaking'));
  if (!lit) throw new Error("Bob's tile is not highlighted");

  step('Carol speaks instead, with a poor connection');
  await alice.page.evaluate((id) => {
    const room = /** @type {any} */ (window).fakeLiveKit.rooms.at(-1);
    room.emit('activeSpeakersChanged', [{ identity: id }]);
    room.emit('connectionQualityChanged', 'poor', { identity: id });
  }, carol.userId);
  await see(alice.tile('Carol').getByText(/^Speaking · /), "Carol speaking, on Alice's screen");
  await see(alice.tile('Carol').getByText('Connection poor'), "Carol's poor connection");
  await see(alice.tile('Bob').getByText('Speaking'), 'Bob no longer speaking', 'hidden');
  await screenshot(alice, 'active-speaker');

  step('Alice switches her microphone during the call: LiveKit switches, the call goes on');
  await alice.page.getByText('Devices and notifications').click();
  const microphone = alice.page.getByLabel('Microphone');
  const options = await microphone.locator('option').evaluateAll((all) => all.map((o) => /** @type {HTMLOptionElement} */ (o).value));
  const chosen = options[options.length - 1] ?? '';
  await microphone.selectOption(chosen);
  await waitForCall(alice, 'switchActiveDevice', (args) => args[0] === 'audioinput' && args[1] === (chosen || 'default'));
  await seeCount(alice.participants(), 3, 'still three in the call');
  const disconnects = (await calls(alice)).filter((c) => c.name === 'disconnect').length;
  if (disconnects !== 0) throw new Error('switching the microphone left the room');

  step("Bob's browser refuses the microphone when he unmutes: he is told in words");
  await bob.toggle('Mute');
  await bob.page.evaluate(() => {
    /** @type {any} */ (window).fakeLiveKit.refuse = 'audioinput';
  });
  await bob.toggle('Mute');
  await see(bob.page.getByRole('alert').filter({ hasText: 'The browser refused the microphone or camera.' }), 'Bob told his microphone was refused');
  await see(bob.callBar(), "Bob's call goes on");

  step("A voice channel's media connects with a channel token");
  await carol.page.getByText('New voice channel').click();
  await carol.page.getByLabel('Channel name').fill(`Stage ${group}`);
  await carol.page.getByRole('button', { name: 'Create channel' }).click();
  const channelToken = carol.page.waitForResponse((r) => r.url().endsWith('/livekit/channel-token'));
  await carol.page.getByRole('button', { name: 'Join voice' }).click();
  const grant = await (await channelToken).json();
  if (!String(grant.roomName).startsWith('ch_')) throw new Error(`unexpected channel room ${grant.roomName}`);
  await waitForCall(carol, 'connect', (args) => args[1] === grant.token);
  await carol.page.evaluate((id) => /** @type {any} */ (window).fakeLiveKit.rooms.at(-1).emit('activeSpeakersChanged', [{ identity: id }]), carol.userId);
  await see(carol.tile('Carol (you)').getByText(/^Speaking · /), 'Carol speaking in the channel');
}
