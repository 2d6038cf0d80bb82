namespace DmVoice.Grains.Channels;

/// <summary>
/// Invites: being named on a channel (at creation or by the owner) makes an invite, not access. The invited
/// user sees it (<see cref="ChannelInvitedEvent"/>, and their list of invites), and accepts it (then they are a
/// member and see the voice) or declines it. A user who refuses invites, blocks the owner, or has too many
/// invites waiting cannot be invited: the owner is told <see cref="ErrorCodes.CannotAddUser"/>, the same for
/// every reason, so a block is never revealed. An invite counts toward the access list's size.
/// </summary>
public sealed partial class VoiceChannelGrain
{
    public Task<ChannelInvite> GetInvite(string userId) =>
        Task.FromResult(new ChannelInvite(ChannelId, State.Name, State.OwnerId, InvitedAt(userId)));

    public async Task<VoiceChannel> AcceptInvite(string userId)
    {
        InvitedAt(userId);
        await GrainFactory.GetGrain<IUserChannelsGrain>(userId).EnsureRoomForChannel();
        if (State.Call is { } live)
        {
            // The new member sees the live voice from now on; asked before anything changes.
            await _host.Members.AttachAsync(live.CallId, [userId]);
        }

        State.Invited.Remove(userId);
        State.Members.Add(userId);
        QueueDirectory(added: [userId], removed: []);

        // The new member is in the audience: the channel appears in their list as it is.
        Rules.Emit(ChannelUpdated);
        await CommitAndTellAsync(State.Members.ToArray());
        await PropagateDirectoryAsync();
        return ToDto();
    }

    public async Task DeclineInvite(string userId)
    {
        InvitedAt(userId);
        await EndInviteAsync(userId, ChannelInviteRemovedReasons.Declined);
    }

    private Task WithdrawInviteAsync(string userId) => EndInviteAsync(userId, ChannelInviteRemovedReasons.Withdrawn);

    /// <summary>The invite goes: the members see the shorter list of invited users, the user's devices drop it.</summary>
    private async Task EndInviteAsync(string userId, string reason)
    {
        State.Invited.Remove(userId);
        QueueDirectory(added: [], removed: [userId]);
        Rules.Emit(ChannelUpdated);
        Rules.EmitAgain(v => InviteRemoved(v, reason), [userId]);
        await CommitAndTellAsync(State.Members.ToArray(), [userId]);
        await PropagateDirectoryAsync();
    }

    /// <summary>When the user was invited; <see cref="ErrorCodes.ChannelNotFound"/> (as for any outsider) when they were not.</summary>
    private DateTimeOffset InvitedAt(string userId)
    {
        Validate.Id(userId, "userId");
        return State.Exists && State.Invited.TryGetValue(userId, out var at) ? at : throw DmVoiceException.ChannelNotFound(ChannelId);
    }

    /// <summary>Refuses unless every one of <paramref name="userIds"/> takes channel invites from the inviter.</summary>
    private async Task EnsureInvitableAsync(string inviterId, string[] userIds)
    {
        var answers = await Task.WhenAll(userIds.Select(id => GrainFactory.GetGrain<IUserSettingsGrain>(id).TakesChannelInviteFrom(inviterId)));
        if (answers.Any(takes => !takes))
        {
            throw CannotAdd();
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
            throw CannotAdd();
        }
    }

    /// <summary>Records the invites, and cancels a removal from their lists still owed from an earlier invite.</summary>
    private void Invite(string[] userIds, DateTimeOffset now)
    {
        foreach (var userId in userIds)
        {
            State.Invited[userId] = now;
            State.DirectoryRemoves.Remove(userId);
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

    private Func<long, VoiceEvent> InvitedEvent(DateTimeOffset at) => version =>
        new ChannelInvitedEvent { ChannelId = ChannelId, CallId = string.Empty, Version = version, Invite = new ChannelInvite(ChannelId, State.Name, State.OwnerId, at) };

    private ChannelInviteRemovedEvent InviteRemoved(long version, string reason) =>
        new() { ChannelId = ChannelId, CallId = string.Empty, Version = version, Reason = reason };

    /// <summary>The same answer whatever the reason, so that it reveals no more than that.</summary>
    private static DmVoiceException CannotAdd() =>
        new(ErrorCodes.CannotAddUser, "This user cannot be added to a voice channel by you.");
}
