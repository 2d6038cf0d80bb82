// @ts-check
// Bob's network drops during a call and comes back. While he is away Alice mutes and turns her
// camera on; once Bob is back his screen shows both, and he is still in the call, without a reload.
import { see, seeCount } from '../lib/see.mjs';

/** @param {import('../lib/scenario.mjs').ScenarioKit} kit */
export default async function networkDrop({ step, user, signIn, proxy, screenshot }) {
  const alice = await signIn(user('Alice'));
  const network = await proxy();
  const bob = await signIn(user('Bob'), { baseUrl: network.url });

  step('Alice calls Bob; Bob accepts');
  await alice.createDm([bob.userId]);
  await alice.startCall();
  await bob.accept();
  await seeCount(bob.participants(), 2, "two people in Bob's call");
  const reloads = await bob.page.evaluate(() => performance.getEntriesByType('navigation').length);

  step("Bob's network drops");
  network.drop();
  await bob.page.context().setOffline(true);
  await see(bob.page.getByRole('status').filter({ hasText: 'Connection lost. Reconnecting…' }), "Bob's client to notice and say so");
  await screenshot(bob, 'offline');

  step('Meanwhile Alice mutes and turns her camera on');
  await alice.toggle('Mute');
  await alice.toggle('Camera');
  await see(bob.tile('Alice').getByText('Muted'), "Bob's stale screen (Alice not yet shown muted)", 'hidden');

  step("Bob's network comes back");
  await bob.page.context().setOffline(false);
  network.restore();
  await bob.waitUntilConnected();
  await see(bob.tile('Alice').getByText('Muted · Camera on'), "Alice muted with her camera on, on Bob's screen");
  await see(bob.callBar(), 'Bob still in the call');
  await seeCount(bob.participants(), 2, "two people in Bob's call");
  await seeCount(alice.participants(), 2, "Bob still in Alice's call");
  const after = await bob.page.evaluate(() => performance.getEntriesByType('navigation').length);
  if (after !== reloads) throw new Error('the page reloaded');
  await screenshot(bob, 'back');
}
