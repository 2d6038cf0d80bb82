// @ts-check
// A person using the web client in a browser tab: what they can see and what they can do, in the
// words the screen uses.
import { see } from './see.mjs';

/** @typedef {import('playwright-core').Page} Page */
/** @typedef {import('playwright-core').BrowserContext} BrowserContext */

export class Person {
  /**
   * @param {string} name how the scenario names this tab, e.g. "Bob (tab 2)"
   * @param {string} userId
   * @param {Page} page
   */
  constructor(name, userId, page) {
    this.name = name;
    this.userId = userId;
    this.page = page;
  }

  /**
   * Opens the client in a new tab of `context` and signs in with a development token.
   * @param {BrowserContext} context
   * @param {string} baseUrl
   * @param {{ name: string, userId: string, displayName: string }} who
   * @param {(error: Error) => void} onPageError
   */
  static async signIn(context, baseUrl, who, onPageError) {
    const page = await context.newPage();
    page.on('pageerror', (error) => onPageError(new Error(`${who.name}'s page threw: ${error.stack ?? error.message}`)));
    await page.goto(baseUrl);
    const person = new Person(who.name, who.userId, page);
    await page.getByLabel('User id').fill(who.userId);
    await page.getByLabel('Display name (optional)').fill(who.displayName);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await see(page.getByText(`Signed in as ${who.displayName} (${who.userId})`), `${who.name} is signed in`);
    await person.waitUntilConnected();
    return person;
  }

  async waitUntilConnected() {
    await see(this.page.getByRole('status').filter({ hasText: /Connecting|Reconnecting/ }), `${this.name} is connected`, 'hidden');
  }

  // ---- what they see ---------------------------------------------------------------------------

  incomingCall() {
    return this.page.getByRole('alertdialog');
  }

  callBar() {
    return this.page.getByRole('region', { name: 'Call controls' });
  }

  /** The participant tile of someone in the open DM's call (exact accessible name). */
  tile(/** @type {string} */ displayName) {
    return this.page.getByRole('listitem', { name: displayName, exact: true });
  }

  /** The list of participants of the open DM's call. */
  participants() {
    return this.page.getByRole('list', { name: /^In the call/ }).getByRole('listitem');
  }

  dmLink(/** @type {string} */ title) {
    return this.page.getByRole('navigation', { name: 'Direct messages' }).getByRole('button', { name: new RegExp(`^${escape(title)}`) });
  }

  callHistory() {
    return this.page.getByRole('list', { name: 'Call history' }).getByRole('listitem');
  }

  missedCalls() {
    return this.page.getByRole('list', { name: 'Missed calls' }).getByRole('listitem');
  }

  /** Members not in the call, with how their ring ended. */
  notInCall() {
    return this.page.getByRole('list', { name: 'Not in the call' }).getByRole('listitem');
  }

  ringing() {
    return this.page.getByRole('list', { name: 'Ringing' }).getByRole('listitem');
  }

  notices() {
    return this.page.getByRole('region', { name: 'Notices' }).getByRole('listitem');
  }

  /** The voice channels in the sidebar. */
  channelLink(/** @type {string} */ name) {
    return this.page.getByRole('navigation', { name: 'Voice channels' }).getByRole('button', { name: new RegExp(`^# ${escape(name)}`) });
  }

  /** Who is in the open voice channel's voice. */
  inVoice() {
    return this.page.getByRole('list', { name: /^In voice/ }).getByRole('listitem');
  }

  // ---- what they do ----------------------------------------------------------------------------

  /**
   * @param {string[]} memberIds
   * @param {string} [groupName]
   */
  async createDm(memberIds, groupName) {
    await this.page.getByLabel(/^User ids/).fill(memberIds.join(', '));
    if (groupName) await this.page.getByLabel('Group name (optional)').fill(groupName);
    await this.page.getByRole('button', { name: 'Create DM' }).click();
    await see(this.page.getByRole('heading', { level: 2, name: groupName ?? memberIds.join(', ') }), `${this.name} has the new DM open`);
  }

  async openChannel(/** @type {string} */ name) {
    await this.channelLink(name).click();
    await see(this.page.getByRole('heading', { level: 2, name: `# ${name}` }), `${this.name} has #${name} open`);
  }

  async openDm(/** @type {string} */ title) {
    await this.dmLink(title).click();
    await see(this.page.getByRole('heading', { level: 2, name: title }), `${this.name} has ${title} open`);
  }

  /** Starts the open DM's call from its header: the phone button, or the camera button for video. */
  async startCall(/** @type {{ video?: boolean }} */ options = {}) {
    await this.page.getByRole('button', { name: options.video ? 'Start video call' : 'Start voice call' }).click();
    await see(this.callBar(), `${this.name}'s call bar`);
  }

  async accept() {
    await this.incomingCall().getByRole('button', { name: 'Accept' }).click();
    await see(this.callBar(), `${this.name}'s call bar after accepting`);
  }

  async decline() {
    await this.incomingCall().getByRole('button', { name: 'Decline' }).click();
  }

  /** @param {'Mute' | 'Deafen' | 'Camera' | 'Share screen'} control */
  async toggle(control) {
    const button = this.callBar().getByRole('button', { name: control, exact: true });
    const before = await button.getAttribute('aria-pressed');
    await button.click();
    await see(this.callBar().getByRole('button', { name: control, pressed: before !== 'true', exact: true }), `${this.name}'s ${control} toggled`);
  }

  async leaveCall() {
    await this.callBar().getByRole('button', { name: 'Leave call' }).click();
    await see(this.callBar(), `${this.name}'s call bar to go`, 'hidden');
  }

  async screenshot(/** @type {string} */ file) {
    await this.page.screenshot({ path: file, fullPage: true });
  }
}

function escape(/** @type {string} */ text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
