// @ts-check
// Waiting for what a person would see, with a failure that says what was expected.

/** How long anything may take to show; rings time out after 8 s in these scenarios. */
export const patience = Number(process.env.SCENARIO_PATIENCE_MS ?? 15000);

/**
 * Waits until `locator` is visible (or hidden); throws "expected: …" otherwise.
 * @param {import('playwright-core').Locator} locator
 * @param {string} what
 * @param {'visible' | 'hidden'} [state]
 */
export async function see(locator, what, state = 'visible') {
  try {
    await locator.first().waitFor({ state, timeout: patience });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(`expected ${state === 'hidden' ? 'no longer to see' : 'to see'}: ${what}\n  (${locator}: ${message})`);
  }
}

/**
 * Waits until `locator` matches exactly `count` elements.
 * @param {import('playwright-core').Locator} locator
 * @param {number} count
 * @param {string} what
 */
export async function seeCount(locator, count, what) {
  const deadline = Date.now() + patience;
  let last = -1;
  while (Date.now() < deadline) {
    last = await locator.count();
    if (last === count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  throw new Error(`expected ${count} of: ${what}, but saw ${last}\n  (${locator})`);
}

/**
 * Waits until a <select> shows the option `label` as chosen.
 * @param {import('playwright-core').Locator} select
 * @param {string} label
 * @param {string} what
 */
export async function seeChosen(select, label, what) {
  const deadline = Date.now() + patience;
  let last = '';
  while (Date.now() < deadline) {
    last = await select.evaluate((s) => /** @type {HTMLSelectElement} */ (s).selectedOptions[0]?.textContent ?? '').catch(() => '');
    if (last === label) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  throw new Error(`expected to see: ${what} ("${label}" chosen, but "${last}" was)\n  (${select})`);
}
