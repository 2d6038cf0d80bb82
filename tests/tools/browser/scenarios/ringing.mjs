// @ts-check
// Bob hears and sees a call coming in: a ring tone plays (WebAudio), the tab's title says who is
// calling, and with the tab hidden a desktop notification appears. The moment Alice hangs up, all
// three stop. On Do not disturb the ring is silent: the notification shows, the tone does not play.
import { see } from '../lib/see.mjs';

/** @param {import('../lib/scenario.mjs').ScenarioKit} kit */
export default async function ringing({ step, user, signIn, newContext, screenshot }) {
  // Bob's browser: notifications allowed, with the browser's own stand-ins recording what the page
  // does: every AudioContext it opens, every Notification it shows, and a tab that can be hidden.
  const bobContext = await newContext();
  await bobContext.grantPermissions(['notifications']);
  await bobContext.addInitScript(() => {
    const w = /** @type {any} */ (window);
    w.audioContexts = [];
    const RealAudioContext = window.AudioContext;
    w.AudioContext = class extends RealAudioContext {
      constructor(/** @type {any} */ options) {
        super(options);
        w.audioContexts.push(this);
      }
    };
    w.shown = [];
    w.Notification = class {
      static permission = 'granted';
      static requestPermission = async () => 'granted';
      constructor(/** @type {string} */ title, /** @type {any} */ options) {
        this.title = title;
        this.options = options;
        this.closed = false;
        this.onclick = null;
        w.shown.push(this);
      }
      close() {
        this.closed = true;
      }
    };
    w.tabHidden = false;
    Object.defineProperty(document, 'hidden', { get: () => w.tabHidden });
    Object.defineProperty(document, 'visibilityState', { get: () => (w.tabHidden ? 'hidden' : 'visible') });
  });
  const alice = await signIn(user('Alice'));
  const bob = await signIn(user('Bob'), { context: bobContext });
  const page = bob.page;
  const toneState = () => page.evaluate(() => /** @type {any} */ (window).audioContexts.map((/** @type {AudioContext} */ c) => c.state));
  const notifications = () => page.evaluate(() => /** @type {any} */ (window).shown.map((/** @type {any} */ n) => ({ title: n.title, closed: n.closed, silent: n.options.silent })));
  const waitFor = async (/** @type {() => Promise<boolean>} */ check, /** @type {string} */ what) => {
    for (const deadline = Date.now() + 15000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      if (await check()) return;
    }
    throw new Error(`expected: ${what}`);
  };

  await alice.createDm([bob.userId]);
  step('Bob hides his tab; Alice calls');
  await page.evaluate(() => {
    /** @type {any} */ (window).tabHidden = true;
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await alice.startCall();
  await see(bob.incomingCall().getByText('Ringing with sound.'), "Bob's ring, with sound");
  await waitFor(async () => (await toneState()).includes('running'), 'the ring tone playing (a running AudioContext)');
  await waitFor(async () => (await page.title()).startsWith('Incoming call: Alice · '), 'the tab title saying who calls');
  await waitFor(async () => (await notifications()).some((n) => n.title === 'Alice is calling' && !n.closed), 'a desktop notification');
  step(`title "${await page.title()}", tone ${JSON.stringify(await toneState())}`);
  await screenshot(bob, 'ringing');

  step('Alice hangs up: the tone, the notification and the title stop at once');
  await alice.leaveCall();
  await see(bob.incomingCall(), "Bob's ring to go", 'hidden');
  await waitFor(async () => (await toneState()).every((s) => s === 'closed'), 'the ring tone stopped');
  await waitFor(async () => (await notifications()).every((n) => n.closed), 'the notification closed');
  await waitFor(async () => !(await page.title()).startsWith('Incoming call'), 'the title back');

  step('Bob goes on Do not disturb; the next ring is silent');
  await page.evaluate(async () => {
    const { token } = JSON.parse(sessionStorage.getItem('dmvoice.signIn') ?? '{}');
    const answer = await fetch('/me/status', { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status: 'dnd' }) });
    if (!answer.ok) throw new Error(`PUT /me/status answered ${answer.status}`);
  });
  const before = (await toneState()).length;
  await alice.startCall();
  await see(bob.incomingCall().getByText('Silent ring: you are on Do not disturb or muted this DM.'), "Bob's silent ring");
  await waitFor(async () => (await notifications()).some((n) => !n.closed && n.silent === true), 'a silent notification');
  await new Promise((r) => setTimeout(r, 1000));
  if ((await toneState()).length !== before) throw new Error('a silent ring played the ring tone');
  await screenshot(bob, 'silent');
  await bob.decline();
  await see(bob.incomingCall(), "Bob's silent ring to go", 'hidden');
}
