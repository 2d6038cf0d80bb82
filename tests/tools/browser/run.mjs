// @ts-check
// Runs one browser scenario against a running gateway that serves the web client:
//
//   node run.mjs <scenario> --base-url http://127.0.0.1:5080 [--out artifacts/browser]
//
// Exits 0 when the scenario passed. Screenshots go to --out as <scenario>-<moment>.png; when a
// scenario fails, every open tab is captured as <scenario>-failed-<n>.png.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from './lib/chromium.mjs';
import { routeFakeLiveKit } from './lib/fake-livekit.mjs';
import { Person } from './lib/person.mjs';
import { startProxy } from './lib/proxy.mjs';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'base-url': { type: 'string' }, out: { type: 'string', default: 'artifacts/browser' } },
});
const [scenarioName] = positionals;
const baseUrl = values['base-url'];
if (!scenarioName || !baseUrl) {
  console.error('usage: node run.mjs <scenario> --base-url <gateway url> [--out <folder>]');
  process.exit(2);
}

const out = path.resolve(values.out ?? 'artifacts/browser');
mkdirSync(out, { recursive: true });
const scenario = (await import(`./scenarios/${scenarioName}.mjs`)).default;

const browser = await launchChromium();
const run = Math.random().toString(36).slice(2, 7);
/** @type {Person[]} */
const people = [];
/** @type {Error[]} */
const pageErrors = [];
/** @type {{ close(): Promise<unknown> }[]} */
const proxies = [];
const started = Date.now();

/** @param {string} text */
const step = (text) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${text}`);

/** @type {import('./lib/scenario.mjs').ScenarioKit} */
const kit = {
  step,
  user: (name) => ({ name, userId: `${name.toLowerCase()}-${run}`, displayName: name }),
  newContext: (options = {}) => browser.newContext({ viewport: { width: 1200, height: 800 }, ...options }),
  fakeLiveKit: (context) => routeFakeLiveKit(context),
  async signIn(who, options = {}) {
    const context = options.context ?? (await kit.newContext());
    const person = await Person.signIn(context, options.baseUrl ?? baseUrl, { ...who, name: options.tab ? `${who.name} (${options.tab})` : who.name }, (e) => pageErrors.push(e));
    people.push(person);
    step(`${person.name} signed in as ${who.userId}`);
    return person;
  },
  async proxy() {
    const proxy = await startProxy(new URL(baseUrl));
    proxies.push(proxy);
    return proxy;
  },
  async screenshot(person, moment) {
    const file = path.join(out, `${scenarioName}-${moment}.png`);
    await person.screenshot(file);
    step(`screenshot ${path.relative(process.cwd(), file)}`);
  },
};

let failed = false;
try {
  step(`scenario ${scenarioName} against ${baseUrl}`);
  await scenario(kit);
  if (pageErrors.length > 0) throw pageErrors[0];
  step('passed');
} catch (error) {
  failed = true;
  console.error(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  for (const [i, person] of people.entries()) {
    await person
      .screenshot(path.join(out, `${scenarioName}-failed-${i + 1}.png`))
      .then(() => console.error(`  ${person.name}'s screen: ${scenarioName}-failed-${i + 1}.png`))
      .catch(() => undefined);
  }
} finally {
  await browser.close();
  await Promise.all(proxies.map((p) => p.close()));
}

process.exit(failed ? 1 : 0);
