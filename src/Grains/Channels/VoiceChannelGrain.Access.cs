using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Channels;

/// <summary>
/// The channel itself and who may enter it, the grain's side (the rules are <see cref="ChannelAccess"/>'s).
/// The owner creates, renames, limits, deletes and manages the access list (by invites, <c>.Invites.cs</c>);
/// a member may take themselves off it. Whoever loses access
/// leaves the voice (<c>removed</c>) in the same write, and deleting the channel ends its voice for everyone.
/// Each change is pushed to the members (<see cref="ChannelUpdatedEvent"/>, <see cref="ChannelRemovedEvent"/>)
/// on the channel's one version sequence, after the write, so channel lists update live and in order with the
/// voice events.
/// </summary>
public sealed partial class VoiceChannelGrain
{
    public async Task<VoiceChannel> Create(string ownerId, string name, IReadOnlyList<string> memberIds, int userLimit)
    {
        (name, var invitees) = _access.CheckCreate(ownerId, name, memberIds, userLimit);

        // Nobody is put on the list without their say: each named user is invited, if they take invites
        // from the owner at all; then the owner's limits; then each invitee's room for one more invite.
        await EnsureInvitableAsync(ownerId, invitees);
        var owner = GrainFactory.GetGrain<IUserChannelsGrain>(ownerId);
        await owner.ReserveNewChannel(ChannelId, invitees.Length);
        try
        {
            await OfferInvitesAsync(invitees);
            var now = _host.Now;
            _access.Create(ownerId, name, userLimit, invitees, now);
            Rules.Emit(_access.Updated);
            Rules.EmitAgain(_access.Invited(now), invitees);
            await CommitAndTellAsync(State.Members.ToArray(), invitees);
        }
        catch
        {
            // Nothing was created: the invitees' lists and the owner's count give it back.
            await GiveBackAsync(owner, invitees);
            throw;
        }

        await PropagateDirectoryAsync();
        LogCreated(ChannelId, ownerId, invitees.Length);
        return ToDto();
    }

    public Task<VoiceChannel> Get(string requesterId)
    {
        _channel.EnsureMember(requesterId);
        return Task.FromResult(ToDto());
    }

    public async Task<VoiceChannel> Update(string requesterId, VoiceChannelPatch patch)
    {
        _access.EnsureOwner(requesterId);
        if (!_access.Change(patch))
        {
            return ToDto();
        }

        Rules.Emit(_access.Updated);
        await CommitAndTellAsync(State.Members.ToArray());
        return ToDto();
    }

    public async Task Delete(string requesterId)
    {
        _access.EnsureOwner(requesterId);
        var members = State.Members.ToArray();
        var invitees = _access.InvitedInOrder();
        if (State.Call is { } live)
        {
            // Everyone in the voice hears that they lost it, before the access list is gone.
            Rules.CloseLive(live, LeaveReasons.Removed);
        }

        // Told while the access list still names them; nothing follows it (they are detached and gone from the list).
        Rules.Emit(v => _access.Removed(v, ChannelRemovedReasons.Deleted), members);
        Rules.EmitAgain(v => _access.InviteRemoved(v, ChannelInviteRemovedReasons.Deleted), invitees);
        _access.Delete(members, invitees);
        await CommitAndTellAsync(members, invitees);
        await PropagateDirectoryAsync();
        LogDeleted(ChannelId, requesterId);
    }

    public async Task<VoiceChannel> AddMember(string requesterId, string userId)
    {
        _access.EnsureOwner(requesterId);
        if (!_access.CheckAdd(userId))
        {
            return ToDto();
        }

        // An invite, not access: the user sees it, and becomes a member only if they accept.
        await EnsureInvitableAsync(requesterId, [userId]);
        await GrainFactory.GetGrain<IUserChannelsGrain>(requesterId).SpendAccessChange();
        await OfferInvitesAsync([userId]);
        var now = _host.Now;
        _access.Invite([userId], now);
        Rules.Emit(_access.Updated);
        Rules.EmitAgain(_access.Invited(now), [userId]);
        await CommitAndTellAsync(State.Members.ToArray(), [userId]);
        return ToDto();
    }

    public async Task<VoiceChannel?> RemoveMember(string requesterId, string userId)
    {
        switch (_access.CheckRemoval(requesterId, userId))
        {
            case AccessRemoval.DeclineInvite:
                await DeclineInvite(userId);
                return null;
            case AccessRemoval.WithdrawInvite:
                await WithdrawInviteAsync(userId);
                return ToDto();
            case AccessRemoval.RemoveMember:
                await GrainFactory.GetGrain<IUserChannelsGrain>(requesterId).SpendAccessChange();
                break;
        }

        _access.Remove(userId);
        Rules.RemoveFormerMembers([userId], _host.Now);

        // One change told two ways under one version: the others see the shorter member list, the
        // user who lost access that the channel is gone for them (their last event from it).
        Rules.Emit(_access.Updated, State.Members.ToArray(), v => _access.Removed(v, ChannelRemovedReasons.AccessRemoved), [userId]);
        await CommitAndTellAsync([.. State.Members, userId]);
        await PropagateDirectoryAsync();
        return requesterId == userId ? null : ToDto();
    }

    /// <summary>
    /// Commits a change to the channel itself and publishes its events. While the voice is not live the
    /// grain holds no routes, so with direct delivery it borrows the audience's for this one commit; and
    /// always those of <paramref name="outsiders"/> (invited users, who are not members) for their own events.
    /// </summary>
    private async Task CommitAndTellAsync(string[] audience, string[]? outsiders = null)
    {
        var borrowed = State.Call is null ? await _host.Members.BorrowRoutesAsync(audience) : [];
        var lent = outsiders is { Length: > 0 } ? await _host.Members.BorrowRoutesAsync(outsiders) : [];
        try
        {
            await _host.CommitAsync();
        }
        finally
        {
            // Kept only when the voice went live meanwhile (its members' grains keep those routes current).
            if (State.Call is null)
            {
                _host.Members.ReturnRoutes(borrowed);
            }

            _host.Members.ReturnRoutes(lent.Where(id => !State.Members.Contains(id)).ToArray());
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Channel {ChannelId} created by {UserId} with {MemberCount} members")]
    private partial void LogCreated(string channelId, string userId, int memberCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Channel {ChannelId} deleted by {UserId}")]
    private partial void LogDeleted(string channelId, string userId);
}
