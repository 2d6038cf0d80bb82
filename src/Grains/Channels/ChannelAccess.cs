namespace DmVoice.Grains.Channels;

/// <summary>
/// The rules of a voice channel itself and of who may enter it, over the channel grain's stored state:
/// creating, renaming and limiting it, its access list (owner first), its invites, and the members'
/// lists of channels still owed an update. Plain code (the grain asks the users' grains, stores and
/// publishes), so every rule is tested on its own. Each check refuses before it changes anything.
/// </summary>
/// <remarks>
/// Being named on a channel (at creation or by the owner) makes an invite, not access: the user becomes
/// a member only by accepting it. An invite counts toward the access list's size. Every refusal to add
/// someone says <see cref="ErrorCodes.CannotAddUser"/>, the same whatever the reason, so a block is
/// never revealed.
/// </remarks>
public sealed class ChannelAccess(string channelId, VoiceChannelState state, ChannelRules channel)
{
    /// <summary>Checks a creation: the ids, the name, the limit, the list's size, and that the channel is new. Returns the name and whom to invite.</summary>
    public (string Name, string[] Invitees) CheckCreate(string ownerId, string name, IReadOnlyList<string> memberIds, int userLimit)
    {
        Validate.Id(channelId, "channelId");
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

        if (state.Exists || state.CreatedAt != default)
        {
            throw DmVoiceException.Validation("A channel with this id exists already.");
        }

        return (name, invitees);
    }

    /// <summary>Creates the channel with its owner as the only member, and invites the others.</summary>
    public void Create(string ownerId, string name, int userLimit, string[] invitees, DateTimeOffset now)
    {
        state.Exists = true;
        state.Name = name;
        state.OwnerId = ownerId;
        state.Members = [ownerId];
        state.UserLimit = userLimit;
        state.CreatedAt = now;
        Invite(invitees, now);
        QueueDirectory(added: [ownerId], removed: []);
    }

    /// <summary>
    /// Applies the owner's change of name or user limit; returns whether anything changed. A lower limit
    /// keeps who is in: it only refuses joins until the voice is under it.
    /// </summary>
    public bool Change(VoiceChannelPatch patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        if (patch.Name is null && patch.UserLimit is null)
        {
            throw DmVoiceException.Validation("Give at least one of name, userLimit.");
        }

        var name = patch.Name is null ? state.Name : ChannelLimits.ValidateName(patch.Name);
        var limit = patch.UserLimit is { } asked ? ChannelLimits.ValidateUserLimit(asked) : state.UserLimit;
        if (name == state.Name && limit == state.UserLimit)
        {
            return false;
        }

        state.Name = name;
        state.UserLimit = limit;
        return true;
    }

    /// <summary>The channel goes, with its access list and invites; their lists of channels are owed the removal.</summary>
    public void Delete(string[] members, string[] invitees)
    {
        state.Exists = false;
        state.Members = [];
        state.Invited.Clear();
        QueueDirectory(added: [], removed: [.. members, .. invitees]);
    }

    /// <summary>Whether <paramref name="userId"/> is still to be invited: not when already a member or invited; refused when the list is full.</summary>
    public bool CheckAdd(string userId)
    {
        Validate.Id(userId, "userId");
        if (state.Members.Contains(userId) || state.Invited.ContainsKey(userId))
        {
            return false;
        }

        if (state.Members.Count + state.Invited.Count >= ChannelLimits.MaxMembers)
        {
            throw TooManyMembers();
        }

        return true;
    }

    /// <summary>Records the invites, and cancels a removal from their lists still owed from an earlier invite.</summary>
    public void Invite(string[] userIds, DateTimeOffset now)
    {
        foreach (var userId in userIds)
        {
            state.Invited[userId] = now;
            state.DirectoryRemoves.Remove(userId);
        }
    }

    /// <summary>When the user was invited; <see cref="ErrorCodes.ChannelNotFound"/> (as for any outsider) when they were not.</summary>
    public DateTimeOffset InvitedAt(string userId)
    {
        Validate.Id(userId, "userId");
        return state.Exists && state.Invited.TryGetValue(userId, out var at) ? at : throw DmVoiceException.ChannelNotFound(channelId);
    }

    /// <summary>The invited user accepts: a member now, owed the channel in their list.</summary>
    public void Accept(string userId)
    {
        state.Invited.Remove(userId);
        state.Members.Add(userId);
        QueueDirectory(added: [userId], removed: []);
    }

    /// <summary>The invite goes (declined or withdrawn): the user's list is owed its removal.</summary>
    public void EndInvite(string userId)
    {
        state.Invited.Remove(userId);
        QueueDirectory(added: [], removed: [userId]);
    }

    /// <summary>
    /// What taking <paramref name="userId"/> off the list asks for, or a refusal: a member may take only
    /// themselves off (an invited user giving up their access declines the invite), the owner anyone but
    /// themselves (an invited user's invite is withdrawn).
    /// </summary>
    public AccessRemoval CheckRemoval(string requesterId, string userId)
    {
        Validate.Id(userId, "userId");
        if (requesterId == userId && state.Exists && state.Invited.ContainsKey(userId))
        {
            return AccessRemoval.DeclineInvite;
        }

        channel.EnsureMember(requesterId);
        if (requesterId != userId && requesterId != state.OwnerId)
        {
            throw new DmVoiceException(ErrorCodes.Forbidden, "Only the owner manages who may enter this channel.");
        }

        if (requesterId != userId && state.Invited.ContainsKey(userId))
        {
            return AccessRemoval.WithdrawInvite;
        }

        if (!state.Members.Contains(userId))
        {
            throw new DmVoiceException(ErrorCodes.MemberNotFound, $"'{userId}' is not a member of this channel.");
        }

        if (userId == state.OwnerId)
        {
            throw DmVoiceException.Validation("The owner cannot lose access to their own channel; delete the channel instead.");
        }

        return requesterId == userId ? AccessRemoval.LeaveList : AccessRemoval.RemoveMember;
    }

    /// <summary>The member loses access: off the list, and their list of channels is owed the removal.</summary>
    public void Remove(string userId)
    {
        state.Members.Remove(userId);
        QueueDirectory(added: [], removed: [userId]);
    }

    public void EnsureOwner(string requesterId)
    {
        channel.EnsureMember(requesterId);
        if (requesterId != state.OwnerId)
        {
            throw new DmVoiceException(ErrorCodes.Forbidden, "Only the channel's owner may do this.");
        }
    }

    /// <summary>The channel as its members see it; invited users in the order they were invited.</summary>
    public VoiceChannel Describe() =>
        new(channelId, state.Name, state.OwnerId, state.Members.ToArray(), state.UserLimit, state.CreatedAt, InvitedInOrder());

    public string[] InvitedInOrder() =>
        state.Invited.OrderBy(i => i.Value).ThenBy(i => i.Key, StringComparer.Ordinal).Select(i => i.Key).ToArray();

    /// <summary>Whether some member's list of channels is still owed an update.</summary>
    public bool OwesDirectory => state.DirectoryAdds.Count > 0 || state.DirectoryRemoves.Count > 0;

    /// <summary>Owes these users' lists the channel (or its removal); the later of the two wins for each user.</summary>
    public void QueueDirectory(IReadOnlyList<string> added, IReadOnlyList<string> removed)
    {
        foreach (var userId in added)
        {
            state.DirectoryRemoves.Remove(userId);
            if (!state.DirectoryAdds.Contains(userId))
            {
                state.DirectoryAdds.Add(userId);
            }
        }

        foreach (var userId in removed)
        {
            state.DirectoryAdds.Remove(userId);
            if (!state.DirectoryRemoves.Contains(userId))
            {
                state.DirectoryRemoves.Add(userId);
            }
        }
    }

    /// <summary>What the lists are owed now: the users to add the channel to, and to remove it from.</summary>
    public (string[] Adds, string[] Removes) DirectoryOwed() => (state.DirectoryAdds.ToArray(), state.DirectoryRemoves.ToArray());

    /// <summary>Those lists were told; whatever was queued since stays owed.</summary>
    public void DirectoryTold(string[] adds, string[] removes)
    {
        state.DirectoryAdds.RemoveAll(adds.Contains);
        state.DirectoryRemoves.RemoveAll(removes.Contains);
    }

    /// <summary>The channel as it is now, for its members (and the user who just joined them).</summary>
    public ChannelUpdatedEvent Updated(long version) =>
        new() { ChannelId = channelId, CallId = state.Call?.CallId ?? string.Empty, Version = version, Channel = Describe() };

    /// <summary>The channel is gone for its audience (deleted, or their access taken): the last event they get from it.</summary>
    public ChannelRemovedEvent Removed(long version, string reason) =>
        new() { ChannelId = channelId, CallId = state.Call?.CallId ?? string.Empty, Version = version, Reason = reason };

    /// <summary>The invite, as the invited user sees it.</summary>
    public Func<long, VoiceEvent> Invited(DateTimeOffset at) => version =>
        new ChannelInvitedEvent { ChannelId = channelId, CallId = string.Empty, Version = version, Invite = new ChannelInvite(channelId, state.Name, state.OwnerId, at) };

    public ChannelInviteRemovedEvent InviteRemoved(long version, string reason) =>
        new() { ChannelId = channelId, CallId = string.Empty, Version = version, Reason = reason };

    /// <summary>The same answer whatever the reason, so that it reveals no more than that.</summary>
    public static DmVoiceException CannotAdd() =>
        new(ErrorCodes.CannotAddUser, "This user cannot be added to a voice channel by you.");

    private static DmVoiceException TooManyMembers() =>
        new(ErrorCodes.LimitReached, $"A channel's access list holds at most {ChannelLimits.MaxMembers} members.");
}

/// <summary>What taking a user off a channel's access list comes to (<see cref="ChannelAccess.CheckRemoval"/>).</summary>
public enum AccessRemoval
{
    /// <summary>The invited user gives up their access: they decline the invite.</summary>
    DeclineInvite,

    /// <summary>The owner takes an invited user off: the invite is withdrawn.</summary>
    WithdrawInvite,

    /// <summary>A member takes themselves off the list.</summary>
    LeaveList,

    /// <summary>The owner takes a member off the list.</summary>
    RemoveMember,
}
