// Who may be put on a voice channel's access list, and what they are told. The owner invites (up to
// 500 on a list, invites included); the invited user accepts or declines, and may refuse invites for
// good; every member may give up their own access at any time.

import { ApiError, type Api } from './api';
import type { VoiceChannel } from './contract';

/** The most members a channel's access list holds, the owner included. */
export const maxChannelMembers = 500;

/** What the owner's "add a member" form says about being added. */
export const addMemberHint =
  'They are invited: they get access once they accept. Anyone on the list can leave it whenever they like.';

/** What a member sees about their own access. */
export const leaveHint = 'You accepted the owner’s invite. Leaving takes you off the list and out of its voice.';

/** Splits a typed list of user ids, without duplicates or the owner. */
export function parseMemberIds(text: string, ownerId: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((id) => id && id !== ownerId))];
}

/** Checks a list before it is sent; the reason in words, or null when it may go. */
export function refuseMembers(channel: VoiceChannel | null, adding: string[]): string | null {
  const already = (channel?.memberIds.length ?? 1) + (channel?.invitedIds?.length ?? 0);
  if (already + adding.length > maxChannelMembers) return `a channel's access list holds at most ${maxChannelMembers} people.`;
  return null;
}

/** Adds one user to the access list; the server's refusals keep their code for words.ts. */
export async function addToChannel(api: Api, channel: VoiceChannel, userId: string): Promise<VoiceChannel> {
  const refusal = refuseMembers(channel, [userId]);
  if (refusal) throw new ApiError('limit_reached', 409, { detail: refusal });
  return api.addChannelMember(channel.id, userId);
}
