namespace DmVoice.Grains.Channels;

/// <summary>
/// Invites, the grain's side (the rules are <see cref="ChannelAccess"/>'s): being named on a channel (at
/// creation or by the owner) makes an invite, not access. The invited user sees it
/// (<see cref="ChannelInvitedEvent"/>, and their list of invites), and accepts it (then they are a member and
/// see the voice) or declines it. A user who refuses invites, blocks the owner, or has too many invites
/// waiting cannot be invited: the owner is told <see cref="ErrorCodes.CannotAddUser"/> for every reason.
/// </summary>
public sealed partial class VoiceChannelGrain
{
    public Task<ChannelInvite> GetInvite(string userId) =>
        Task.FromResult(new ChannelInvite(ChannelId, State.Name, State.OwnerId, _access.InvitedAt(userId)));

    public async Task<VoiceChannel> AcceptInvite(string userId)
    {
        _access.InvitedAt(userId);
        await GrainFactory.GetGrain<IUserChannelsGrain>(userId).EnsureRoomForChannel();
        if (State.Call is { } live)
        {
            // The new member sees the live voice from now on; asked before anything changes.
            await _host.Members.AttachAsync(live.CallId, [userId]);
        }

        _access.Accept(userId);

        // The new member is in the audience: the channel appears in their list as it is.
        Rules.Emit(_access.Updated);
        await CommitAndTellAsync(State.Members.ToArray());
        await PropagateDirectoryAsync();
        return ToDto();
    }

    public async Task DeclineInvite(string userId)
    {
        _access.InvitedAt(userId);
        await EndInviteAsync(userId, ChannelInviteRemovedReasons.Declined);
    }

    private Task WithdrawInviteAsync(string userId) => EndInviteAsync(userId, ChannelInviteRemovedReasons.Withdrawn);

    /// <summary>The invite goes: the members see the shorter list of invited users, the user's devices drop it.</summary>
    private async Task EndInviteAsync(string userId, string reason)
    {
        _access.EndInvite(userId);
        Rules.Emit(_access.Updated);
        Rules.EmitAgain(v => _access.InviteRemoved(v, reason), [userId]);
        await CommitAndTellAsync(State.Members.ToArray(), [userId]);
        await PropagateDirectoryAsync();
    }

    /// <summary>Refuses unless every one of <paramref name="userIds"/> takes channel invites from the inviter.</summary>
    private async Task EnsureInvitableAsync(string inviterId, string[] userIds)
    {
        var answers = await Task.WhenAll(userIds.Select(id => GrainFactory.GetGrain<IUserSettingsGrain>(id).TakesChannelInviteFrom(inviterId)));
        if (answers.Any(takes => !takes))
        {
            throw ChannelAccess.CannotAdd();
        }
    }

    /// <summary>
    /// Keeps the invite in each user's list of invites, or refuses (and takes back those kept) when one of them
    /// has too many waiting. The lists call nobody, so awaiting them cannot deadlock.
    /// </summary>
    private async Task OfferInvitesAsync(string[] userIds)
    {
        var kept = await Task.WhenAll(userIds.Select(id => GrainFactory.GetGrain<IUserChannelsGrain>(id).OfferInvite(ChannelId)));
        if (kept.Any(k => !k))
        {
            await DropInvitesAsync(userIds.Where((_, i) => kept[i]).ToArray());
            throw ChannelAccess.CannotAdd();
        }
    }

    /// <summary>Best effort: these users' lists forget their invite (a request that failed after keeping it).</summary>
    private async Task DropInvitesAsync(string[] userIds)
    {
        try
        {
            await Task.WhenAll(userIds.Select(id => GrainFactory.GetGrain<IUserChannelsGrain>(id).DropInvite(ChannelId)));
        }
        catch (Exception)
        {
            // What is left is an invite the channel does not know: reading the invites drops it.
        }
    }

    /// <summary>Best effort, after a creation that failed: the invites go, and the owner no longer counts the channel.</summary>
    private async Task GiveBackAsync(IUserChannelsGrain owner, string[] invitees)
    {
        await DropInvitesAsync(invitees);
        try
        {
            await owner.RemoveChannel(ChannelId);
        }
        catch (Exception)
        {
            // Counted once too many: the limits err on the side of storing less.
        }
    }
}
