using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Channels;

/// <summary>
/// The channel itself and who may enter it. The owner creates, renames, limits, deletes and manages the
/// access list; a member may take themselves off it. Whoever loses access leaves the voice (<c>removed</c>)
/// in the same write, and deleting the channel ends its voice for everyone. Each change is pushed to the
/// members (<see cref="ChannelUpdatedEvent"/>, <see cref="ChannelRemovedEvent"/>) on the channel's one
/// version sequence, after the write, so channel lists update live and in order with the voice events.
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
        var members = memberIds.Prepend(ownerId).Distinct(StringComparer.Ordinal).ToList();
        if (members.Count > ChannelLimits.MaxMembers)
        {
            throw TooManyMembers();
        }

        if (State.Exists || State.CreatedAt != default)
        {
            throw DmVoiceException.Validation("A channel with this id exists already.");
        }

        State.Exists = true;
        State.Name = name;
        State.OwnerId = ownerId;
        State.Members = members;
        State.UserLimit = userLimit;
        State.CreatedAt = _host.Now;
        QueueDirectory(added: members, removed: []);
        Rules.Emit(ChannelUpdated);
        await CommitAndTellAsync(State.Members.ToArray());
        await PropagateDirectoryAsync();
        LogCreated(ChannelId, ownerId, members.Count);
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
        if (State.Call is { } live)
        {
            // Everyone in the voice hears that they lost it, before the access list is gone.
            Rules.CloseLive(live, LeaveReasons.Removed);
        }

        // Told while the access list still names them; nothing follows it (they are detached and gone from the list).
        Rules.Emit(v => ChannelRemoved(v, ChannelRemovedReasons.Deleted), members);
        State.Exists = false;
        State.Members = [];
        QueueDirectory(added: [], removed: members);
        await CommitAndTellAsync(members);
        await PropagateDirectoryAsync();
        LogDeleted(ChannelId, requesterId);
    }

    public async Task<VoiceChannel> AddMember(string requesterId, string userId)
    {
        EnsureOwner(requesterId);
        Validate.Id(userId, "userId");
        if (State.Members.Contains(userId))
        {
            return ToDto();
        }

        if (State.Members.Count >= ChannelLimits.MaxMembers)
        {
            throw TooManyMembers();
        }

        if (State.Call is { } live)
        {
            // The new member sees the live voice from now on; asked before anything changes.
            await _host.Members.AttachAsync(live.CallId, [userId]);
        }

        State.Members.Add(userId);
        QueueDirectory(added: [userId], removed: []);

        // The new member is in the audience: the channel appears in their list as it is.
        Rules.Emit(ChannelUpdated);
        await CommitAndTellAsync(State.Members.ToArray());
        await PropagateDirectoryAsync();
        return ToDto();
    }

    public async Task<VoiceChannel?> RemoveMember(string requesterId, string userId)
    {
        _channel.EnsureMember(requesterId);
        Validate.Id(userId, "userId");
        if (requesterId != userId && requesterId != State.OwnerId)
        {
            throw new DmVoiceException(ErrorCodes.Forbidden, "Only the owner manages who may enter this channel.");
        }

        if (!State.Members.Contains(userId))
        {
            throw new DmVoiceException(ErrorCodes.MemberNotFound, $"'{userId}' is not a member of this channel.");
        }

        if (userId == State.OwnerId)
        {
            throw DmVoiceException.Validation("The owner cannot lose access to their own channel; delete the channel instead.");
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
    /// grain holds no routes, so with direct delivery it borrows the audience's for this one commit.
    /// </summary>
    private async Task CommitAndTellAsync(string[] audience)
    {
        var borrowed = State.Call is null ? await _host.Members.BorrowRoutesAsync(audience) : [];
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
