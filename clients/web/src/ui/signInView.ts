// The sign-in screen: a user id (development) or a pasted bearer token.

import { devTokensAvailable, signInWithBearerToken, signInWithDevToken } from '../auth';
import type { Me } from '../session';
import { h } from './dom';
import { describeError } from './words';

export function signInView(signedIn: (me: Me) => void, message?: string): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert', hidden: !message }, message ?? '');
  const fail = (e: unknown) => {
    error.textContent = `Signing in failed: ${describeError(e)}`;
    error.hidden = false;
  };

  const userId = h('input', { id: 'sign-in-user', name: 'userId', required: true, autocomplete: 'username', pattern: '[A-Za-z0-9_.:\\-]{1,128}' });
  const displayName = h('input', { id: 'sign-in-name', name: 'displayName', autocomplete: 'nickname', maxlength: 100 });
  const devForm = h(
    'form',
    {
      class: 'card',
      hidden: true,
      onsubmit: (event: Event) => {
        event.preventDefault();
        signInWithDevToken(userId.value.trim(), displayName.value.trim() || undefined).then(signedIn, fail);
      },
    },
    h('h2', {}, 'Sign in with a development token'),
    h('p', { class: 'hint' }, 'This server issues tokens for any user id (development only).'),
    h('label', { for: 'sign-in-user' }, 'User id'),
    userId,
    h('label', { for: 'sign-in-name' }, 'Display name (optional)'),
    displayName,
    h('button', { type: 'submit' }, 'Sign in'),
  );

  const token = h('textarea', { id: 'sign-in-token', name: 'token', rows: 4, required: true, spellcheck: false });
  const tokenForm = h(
    'form',
    {
      class: 'card',
      onsubmit: (event: Event) => {
        event.preventDefault();
        try {
          signedIn(signInWithBearerToken(token.value));
        } catch (e) {
          fail(e);
        }
      },
    },
    h('h2', {}, 'Sign in with a bearer token'),
    h('label', { for: 'sign-in-token' }, 'Bearer token (JWT)'),
    token,
    h('button', { type: 'submit' }, 'Use token'),
  );

  const view = h('main', { class: 'sign-in', 'aria-labelledby': 'sign-in-title' }, h('h1', { id: 'sign-in-title' }, 'DmVoice'), error, devForm, tokenForm);
  devTokensAvailable().then(
    (available) => {
      devForm.hidden = !available;
      (available ? userId : token).focus();
    },
    (e: unknown) => {
      // Nothing answered: offer both ways in, and say why signing in may fail.
      devForm.hidden = false;
      error.textContent = `The server did not answer: ${describeError(e)}`;
      error.hidden = false;
    },
  );
  return view;
}
