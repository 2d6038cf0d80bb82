// Everything the client says in words: errors, outcomes, reasons, times and durations.

import { ApiError } from '../api';

const errorWords: Record<string, string> = {
  network_error: 'the server could not be reached. Check your connection.',
  unauthorized: 'your sign-in is not valid any more.',
  forbidden: 'only the DM’s owner may do that.',
  dm_not_found: 'that DM does not exist, or you are not a member of it.',
  member_not_found: 'that person is not a member of this DM.',
  not_found: 'the server does not know this request.',
  dm_full: 'a DM holds at most 10 people.',
  not_group_dm: 'a 1:1 DM cannot gain or lose members; start a group DM instead.',
  not_in_call: 'you are not in this call.',
  no_active_call: 'there is no call in this DM any more.',
  not_ringing: 'this call is not ringing for you any more.',
  payload_too_large: 'the request was too large.',
  livekit_not_configured: 'this server has no media server (LiveKit) configured.',
  internal_error: 'something went wrong on the server.',
  cannot_add_user: 'you cannot add that person to a voice channel.',
  cannot_dm_user: 'you cannot open a DM with that person.',
};

/** An error as a sentence a person can act on. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'rate_limited') {
      const wait = error.problem.retryAfterSeconds;
      return wait ? `too many tries; wait ${wait} s and try again.` : 'too many tries; wait a moment and try again.';
    }

    if (error.code === 'validation_failed' || error.code === 'malformed_request') {
      return `${error.problem.detail ?? error.problem.title ?? 'the input is not valid.'}`;
    }

    return errorWords[error.code] ?? error.problem.detail ?? error.problem.title ?? `the server answered ${error.status}.`;
  }

  if (error instanceof DOMException && error.name === 'NotAllowedError') return 'the browser was not allowed to use the device.';
  return error instanceof Error ? error.message : String(error);
}

const ringOutcomeWords: Record<string, string> = {
  accepted: 'answered',
  declined: 'declined',
  dismissed: 'dismissed',
  missed: 'missed',
  cancelled: 'ring cancelled',
  busy: 'busy',
  removed: 'removed',
  started: 'started the call',
  joined: 'joined',
  not_rung: 'not rung',
};

export function outcomeWords(outcome: string): string {
  return ringOutcomeWords[outcome] ?? outcome;
}

const endReasonWords: Record<string, string> = {
  ended: 'Ended',
  declined: 'Declined',
  no_answer: 'No answer',
  busy: 'Busy',
  room_finished: 'Media room closed',
};

export function endReasonText(reason: string): string {
  return endReasonWords[reason] ?? reason;
}

/** "1 h 2 min", "3 min 5 s", "12 s". */
export function durationText(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min ${seconds} s`;
  return `${seconds} s`;
}

/** Seconds left until an ISO time, never below zero. */
export function secondsUntil(iso: string, now = Date.now()): number {
  return Math.max(0, Math.ceil((Date.parse(iso) - now) / 1000));
}

export function timeText(iso: string): string {
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}
