// @ts-check
// Puts a fake livekit-client in place of the real one for a browser context, at the module
// boundary: the web client loads livekit-client as a chunk of its own, and the fake is served for
// that chunk's URL. The page's code is unchanged; only the media server is missing.
import { readFileSync } from 'node:fs';

const fake = readFileSync(new URL('./fake-livekit.js', import.meta.url), 'utf8');

/** @param {import('playwright-core').BrowserContext} context */
export async function routeFakeLiveKit(context) {
  await context.route(/\/assets\/livekit-client[^/]*\.js$/, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: fake }));
}
