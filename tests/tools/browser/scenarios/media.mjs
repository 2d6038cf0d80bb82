// @ts-check
// With LiveKit configured, joining a call fetches a token from POST /livekit/dm-token and connects
// to the LiveKit room with it. Here the LiveKit server is unreachable: the client says so in words,
// and the call itself (presence, ringing) works all the same.
import { see, seeCount } from '../lib/see.mjs';

/** @param {import('../lib/scenario.mjs').ScenarioKit} kit */
export default async function media({ step, user, signIn, screenshot }) {
  const alice = await signIn(user('Alice'));
  const bob = await signIn(user('Bob'));
  await alice.createDm([bob.userId]);

  step('Alice starts a call; her client asks for a LiveKit token and connects with it');
  const tokenResponse = alice.page.waitForResponse((r) => r.url().endsWith('/livekit/dm-token') && r.request().method() === 'POST');
  const socket = alice.page.waitForEvent('websocket', (ws) => ws.url().includes('/rtc'));
  await alice.startCall();
  const grant = await (await tokenResponse).json();
  if (typeof grant.token !== 'string' || typeof grant.url !== 'string') throw new Error(`unexpected token answer: ${JSON.stringify(grant)}`);
  const rtc = new URL((await socket).url());
  const liveKit = new URL(grant.url);
  if (rtc.host !== liveKit.host || rtc.searchParams.get('access_token') !== grant.token) {
    throw new Error(`the client connected to ${rtc.origin}${rtc.pathname} instead of ${grant.url} with its token`);
  }

  step('The unreachable media server is reported in words; the call goes on');
  await see(alice.page.getByRole('status').filter({ hasText: /^Audio and video are not connected: .+/ }), "Alice is told media did not connect");
  await bob.accept();
  for (const person of [alice, bob]) await seeCount(person.participants(), 2, `two people in ${person.name}'s call`);
  await screenshot(alice, 'unreachable');
}
