using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Channels;

/// <summary>
/// The channel itself and who may enter it. The owner creates, renames, limits, deletes and manages the
/// access list (by invites, <c>.Invites.cs</c>); a member may take themselves off it. Whoever loses access
/// leaves the voice (<c>removed</c>) in the same write, and deleting the channel ends its voice for everyone.
/// Each change is pushed to the members (<see cref="ChannelUpdatedEvent"/>, <see cref="ChannelRemovedEvent"/>)
/// on the channel's one version sequence, after the write, so channel lists update live and in order with the
/// voice events.
/// </summary>
public sealed partial class VoiceChannelGrain
{
    public async Task<VoiceChannel> Create(string ownerId, string name, IReadOnlyList<string> memberIds, int userLimit)
    {
        Validate.Id(ChannelId, "channelId");
        Validate.Id(ownerId, "userId");
        ArgumentNullException.ThrowIfNull(memberIds);
        foreach (var id in memberIds)
        {
            Validate.Id(id, "memberIds");
        }

        name = ChannelLimits.ValidateName(name);
        ChannelLimits.ValidateUserLimit(userLimit);
        var invitees = memberIds.Where(id => id != ownerId).Distinct(StringComparer.Ordinal).ToArray();
        if (invitees.Length + 1 > ChannelLimits.MaxMembers)
        {
            throw TooManyMembers();
        }

        if (State.Exists || State.CreatedAt != default)
        {
            throw DmVoiceException.Validation("A channel with this id exists already.");
        }

        // Nobody is put on the list without their say: each named user is invited, if they take invites
        // from the owner at all; then the owner's limits; then each invitee's room for one more invite.
        await EnsureInvitableAsync(ownerId, invitees);
        var owner = GrainFactory.GetGrain<IUserChannelsGrain>(ownerId);
        await owner.ReserveNewChannel(ChannelId, invitees.Length);
        try
        {
            await OfferInvitesAsync(invitees);
            var now = _host.Now;
            State.Exists = true;
            State.Name = name;
            State.OwnerId = ownerId;
            State.Members = [ownerId];
            State.UserLimit = userLimit;
            State.CreatedAt = now;
            Invite(invitees, now);
            QueueDirectory(added: [ownerId], removed: []);
            Rules.Emit(ChannelUpdated);
            Rules.EmitAgain(InvitedEvent(now), invitees);
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
        EnsureOwner(requesterId);
        ArgumentNullException.ThrowIfNull(patch);
        if (patch.Name is null && patch.UserLimit is null)
        {
            throw DmVoiceException.Validation("Give at least one of name, userLimit.");
        }

        var name = patch.Name is null ? State.Name : ChannelLimits.ValidateName(patch.Name);
        var limit = patch.UserLimit is { } asked ? ChannelLimits.ValidateUserLimit(asked) : State.UserLimit;
        if (name == State.Name && limit == State.UserLimit)
        {
            return ToDto();
        }

        // A lower limit keeps who is in; it only refuses joins until the voice is under it.
        State.Name = name;
        State.UserLimit = limit;
        Rules.Emit(ChannelUpdated);
        await CommitAndTellAsync(State.Members.ToArray());
        return ToDto();
    }

    public async Task Delete(string requesterId)
    {
        EnsureOwner(requesterId);
        var members = State.Members.ToArray();
        var invitees = InvitedInOrder();
        if (State.Call is { } live)
        {
            // Everyone in the voice hears that they lost it, before the access list is gone.
            Rules.CloseLive(live, LeaveReasons.Removed);
        }

        // Told while the access list still names them; nothing follows it (they are detached and gone from the list).
        Rules.Emit(v => ChannelRemoved(v, ChannelRemovedReasons.Deleted), members);
        Rules.EmitAgain(v => InviteRemoved(v, ChannelInviteRemovedReasons.Deleted), invitees);
        State.Exists = false;
        State.Members = [];
        State.Invited.Clear();
        QueueDirectory(added: [], removed: [.. members, .. invitees]);
        await CommitAndTellAsync(members, invitees);
        await PropagateDirectoryAsync();
        LogDeleted(ChannelId, requesterId);
    }

    public async Task<VoiceChannel> AddMember(string requesterId, string userId)
    {
        EnsureOwner(requesterId);
        Validate.Id(userId, "userId");
        if (State.Members.Contains(userId) || State.Invited.ContainsKey(userId))
        {
            return ToDto();
        }

        if (State.Members.Count + State.Invited.Count >= ChannelLimits.MaxMembers)
        {
            throw TooManyMembers();
        }

        // An invite, not access: the user sees it, and becomes a member only if they accept.
        await EnsureInvitableAsync(requesterId, [userId]);
        await GrainFactory.GetGrain<IUserChannelsGrain>(requesterId).SpendAccessChange();
        await OfferInvitesAsync([userId]);
        var now = _host.Now;
        Invite([userId], now);
        Rules.Emit(ChannelUpdated);
        Rules.EmitAgain(InvitedEvent(now), [userId]);
        await CommitAndTellAsync(State.Members.ToArray(), [userId]);
        return ToDto();
    }

    public async Task<VoiceChannel?> RemoveMember(string requesterId, string userId)
    {
        Validate.Id(userId, "userId");
        if (requesterId == userId && State.Exists && State.Invited.ContainsKey(userId))
        {
            // Not a member yet: giving up one's own access is declining the invite.
            await DeclineInvite(userId);
            return null;
        }

        _channel.EnsureMember(requesterId);
        if (requesterId != userId && requesterId != State.OwnerId)
        {
            throw new DmVoiceException(ErrorCodes.Forbidden, "Only the owner manages who may enter this channel.");
        }

        if (requesterId != userId && State.Invited.ContainsKey(userId))
        {
            await WithdrawInviteAsync(userId);
            return ToDto();
        }

        if (!State.Members.Contains(userId))
        {
            throw new DmVoiceException(ErrorCodes.MemberNotFound, $"'{userId}' is not a member of this channel.");
        }

        if (userId == State.OwnerId)
        {
            throw DmVoiceException.Validation("The owner cannot lose access to their own channel; delete the channel instead.");
        }

        if (requesterId != userId)
        {
            await GrainFactory.GetGrain<IUserChannelsGrain>(requesterId).SpendAccessChange();
        }

        State.Members.Remove(userId);
        Rules.RemoveFormerMembers([userId], _host.Now);
        QueueDirectory(added: [], removed: [userId]);

        // One change told two ways under one version: the others see the shorter member list, the
        // user who lost access that the channel is gone for them (their last event from it).
        Rules.Emit(ChannelUpdated, State.Members.ToArray(), v => ChannelRemoved(v, ChannelRemovedReasons.AccessRemoved), [userId]);
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

    private ChannelUpdatedEvent ChannelUpdated(long version) =>
        new() { ChannelId = ChannelId, CallId = State.Call?.CallId ?? string.Empty, Version = version, Channel = ToDto() };

    private ChannelRemovedEvent ChannelRemoved(long version, string reason) =>
        new() { ChannelId = ChannelId, CallId = State.Call?.CallId ?? string.Empty, Version = version, Reason = reason };

    private void EnsureOwner(string requesterId)
    {
        _channel.EnsureMember(requesterId);
        if (requesterId != State.OwnerId)
        {
            throw new DmVoiceException(ErrorCodes.Forbidden, "Only the channel's owner may do this.");
        }
    }

    private static DmVoiceException TooManyMembers() =>
        new(ErrorCodes.LimitReached, $"A channel's access list holds at most {ChannelLimits.MaxMembers} members.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Channel {ChannelId} created by {UserId} with {MemberCount} members")]
    private partial void LogCreated(string channelId, string userId, int memberCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Channel {ChannelId} deleted by {UserId}")]
    private partial void LogDeleted(string channelId, string userId);
}
