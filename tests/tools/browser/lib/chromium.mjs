// @ts-check
// Launches the system's Chromium (Debian's package); Playwright never downloads a browser here.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Quiet and offline: no first-run, sync, updates or background requests (the network is closed),
// and a fake camera and microphone so getUserMedia works without devices or prompts. Playwright
// gives every launch a fresh temporary profile.
const flags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

export function launchChromium() {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath} (set CHROMIUM_PATH)`);
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: flags });
}
