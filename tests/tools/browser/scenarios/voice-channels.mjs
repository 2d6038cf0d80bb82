// @ts-check
// Alice creates a voice channel for Bob and Carol, which invites them; they accept. They see it,
// and see her in its voice. As its
// owner she renames it and limits it to one: Bob sees it full and cannot join. Bob is in a DM call
// with Carol; joining the channel (its limit lifted) moves him out of that call, and joining the
// DM call again moves him back out of the channel. Alice takes Carol's access away.
import { see, seeCount } from '../lib/see.mjs';

/** @param {import('../lib/scenario.mjs').ScenarioKit} kit */
export default async function voiceChannels({ step, user, signIn, screenshot }) {
  const alice = await signIn(user('Alice'));
  const bob = await signIn(user('Bob'));
  const carol = await signIn(user('Carol'));
  const tag = alice.userId.split('-')[1];
  const lounge = `Lounge ${tag}`;
  const hangout = `Hangout ${tag}`;

  step('Alice creates a voice channel for Bob and Carol; they are invited and accept');
  await alice.page.getByText('New voice channel').click();
  await alice.page.getByLabel('Channel name').fill(lounge);
  await alice.page.getByLabel('Who may enter (user ids)').fill(`${bob.userId}, ${carol.userId}`);
  await alice.page.getByRole('button', { name: 'Create channel' }).click();
  await see(alice.page.getByRole('heading', { level: 2, name: `# ${lounge}` }), 'Alice has the new channel open');
  for (const person of [bob, carol]) {
    const accept = person.page.getByRole('button', { name: `Accept the invite to #${lounge}` });
    await see(accept, `the invite on ${person.name}'s screen`);
    await see(person.channelLink(lounge), `the channel not yet in ${person.name}'s list`, 'hidden');
    await accept.click();
    await see(person.channelLink(lounge), `the channel in ${person.name}'s list`);
  }

  step('Alice joins its voice; Bob and Carol see her in it');
  await alice.page.getByRole('button', { name: 'Join voice' }).click();
  await see(alice.callBar().getByText(`#${lounge}`), "Alice's call bar shows the channel");
  await seeCount(alice.inVoice(), 1, 'Alice alone in voice');
  for (const person of [bob, carol]) await see(person.channelLink(lounge).filter({ hasText: 'Live · Alice' }), `Alice live in the channel, on ${person.name}'s list`);

  step('Alice renames it and limits it to one; Bob sees it full');
  const settings = alice.page.getByRole('form', { name: 'Channel settings' });
  await settings.getByLabel('Name').fill(hangout);
  await settings.getByLabel('User limit (0 for none)').fill('1');
  await settings.getByRole('button', { name: 'Save' }).click();
  await see(bob.channelLink(hangout).filter({ hasText: '1/1 full' }), "the renamed, full channel on Bob's list");
  await bob.openChannel(hangout);
  await see(bob.page.getByRole('button', { name: 'Join voice', disabled: true }), "Bob's Join voice is off");
  await see(bob.page.getByText('The channel is full (1 of 1 in voice).'), 'the reason, in words');
  await see(bob.page.getByRole('form', { name: 'Channel settings' }), 'no settings for Bob, who does not own it', 'hidden');
  await screenshot(bob, 'full');

  step('Bob calls Carol in a DM; Carol accepts');
  await bob.createDm([carol.userId]);
  await bob.startCall();
  await carol.accept();
  await seeCount(carol.participants(), 2, 'two in the DM call');

  step('Alice lifts the limit; Bob joins the channel and is moved out of his DM call');
  await settings.getByLabel('User limit (0 for none)').fill('0');
  await settings.getByRole('button', { name: 'Save' }).click();
  await see(bob.channelLink(hangout).filter({ hasNotText: 'full' }), "the channel no longer full on Bob's list");
  await bob.openChannel(hangout);
  await see(bob.page.getByText(`Joining takes you out of your call in ${carol.userId}.`), 'Bob is told joining ends his DM call');
  await bob.page.getByRole('button', { name: 'Join voice' }).click();
  await see(bob.notices().filter({ hasText: `You left ${carol.userId}: you can be in one call at a time.` }), 'Bob is told he left the DM call');
  await see(bob.callBar().getByText(`#${hangout}`), "Bob's call bar shows the channel");
  await seeCount(carol.participants(), 1, 'Carol alone in the DM call');
  await seeCount(alice.inVoice(), 2, 'Alice and Bob in voice');
  await see(carol.channelLink(hangout).filter({ hasText: 'Live · Alice, Bob' }), "both in voice, on Carol's list");
  await screenshot(alice, 'in-voice');

  step('Bob goes back to the DM call, whose buttons say it leaves the channel, and it does');
  await bob.openDm(carol.userId);
  await see(bob.page.getByText(`Joining takes you out of #${hangout}.`), 'Bob is told joining the DM call leaves the channel');
  await bob.page.getByRole('button', { name: 'Join voice call' }).click();
  await see(bob.notices().filter({ hasText: `You left #${hangout}: you can be in one call at a time.` }), 'Bob is told he left the channel');
  await seeCount(alice.inVoice(), 1, 'Alice alone in voice again');
  await seeCount(carol.participants(), 2, 'Bob back in the DM call');

  step("Alice takes Carol's access away; the channel is gone from Carol's list");
  await alice.page.getByRole('button', { name: `Take ${carol.userId}’s access away` }).click();
  await see(carol.notices().filter({ hasText: `You no longer have access to #${hangout}.` }), 'Carol is told');
  await see(carol.channelLink(hangout), "the channel gone from Carol's list", 'hidden');
  await see(bob.channelLink(hangout), "the channel still on Bob's list");
}
