// @ts-check
// What run.mjs hands each scenario (types only).

/**
 * @typedef {{ name: string, userId: string, displayName: string }} User
 * @typedef {{ url: string, drop(): void, restore(): void, close(): Promise<unknown> }} Proxy
 * @typedef {object} ScenarioKit
 * @property {(text: string) => void} step  logs a step of the scenario
 * @property {(name: string) => User} user  a user unique to this run, e.g. user('Alice')
 * @property {(who: User, options?: { context?: import('playwright-core').BrowserContext, baseUrl?: string, tab?: string }) => Promise<import('./person.mjs').Person>} signIn
 *   opens the client in a new browser context (or a new tab of `context`) and signs in
 * @property {(options?: import('playwright-core').BrowserContextOptions) => Promise<import('playwright-core').BrowserContext>} newContext
 *   a new browser context (a separate person's browser), for scenarios that prepare it before signing in
 * @property {(context: import('playwright-core').BrowserContext) => Promise<void>} fakeLiveKit
 *   serves the fake livekit-client (lib/fake-livekit.js) in place of the real one to that context
 * @property {() => Promise<Proxy>} proxy  a proxy to the gateway whose network can be dropped
 * @property {(person: import('./person.mjs').Person, moment: string) => Promise<void>} screenshot
 */

export {};
