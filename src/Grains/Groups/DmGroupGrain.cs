using DmVoice.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Groups;

[GenerateSerializer]
[Alias("DmVoice.DmGroupState")]
public sealed class DmGroupState
{
    [Id(0)] public bool Exists { get; set; }
    [Id(1)] public string? Name { get; set; }
    [Id(2)] public string OwnerId { get; set; } = string.Empty;
    [Id(3)] public List<string> Members { get; set; } = [];
    [Id(4)] public DateTimeOffset CreatedAt { get; set; }
    [Id(5)] public bool IsGroup { get; set; }

    /// <summary>The call grain has not yet been told the current members.</summary>
    [Id(6)] public bool CallSyncPending { get; set; }

    /// <summary>Users whose directory must still learn that they joined this DM.</summary>
    [Id(7)] public List<string> DirectoryAdds { get; set; } = [];

    /// <summary>Users whose directory must still learn that they left this DM.</summary>
    [Id(8)] public List<string> DirectoryRemoves { get; set; } = [];

    [Id(9)] public bool ReminderRegistered { get; set; }
}

/// <summary>
/// Owns who is in a DM. Every change is pushed to the DM's call grain and to each member's
/// directory, so those never have to call back here; what could not be pushed yet is stored with the
/// change and retried until it is done (<c>DmGroupGrain.Propagation.cs</c>).
/// </summary>
public sealed partial class DmGroupGrain(
    [PersistentState("group", StorageNames.Default)] IPersistentState<DmGroupState> state,
    Infrastructure.CallClock clock,
    Microsoft.Extensions.Options.IOptions<CallOptions> options,
    ILogger<DmGroupGrain> logger) : Grain, IDmGroupGrain, IRemindable
{
    private string DmGroupId => this.GetPrimaryKeyString();

    public async Task<DmGroupCreation> Create(string creatorId, IReadOnlyList<string> memberIds, string? name, bool isGroup)
    {
        Validate.Id(DmGroupId, "dmGroupId");
        Validate.Id(creatorId, "userId");
        ArgumentNullException.ThrowIfNull(memberIds);
        foreach (var id in memberIds)
        {
            Validate.Id(id, "memberIds");
        }

        name = Validate.OptionalName(name, "name");
        var members = memberIds.Prepend(creatorId).Distinct(StringComparer.Ordinal).ToList();

        if (state.State.Exists)
        {
            // A 1:1 DM is unique per pair: creating it again returns it. Anything else is not the caller's.
            if (!state.State.IsGroup && !isGroup && state.State.Members.Contains(creatorId) &&
                members.All(state.State.Members.Contains))
            {
                return new DmGroupCreation(ToDto(), Created: false);
            }

            throw DmVoiceException.Validation("A DM with this id already exists.");
        }

        if (members.Count < DmLimits.MinMembers)
        {
            throw DmVoiceException.Validation("A DM needs at least one other member.");
        }

        if (members.Count > DmLimits.MaxMembers)
        {
            throw new DmVoiceException(ErrorCodes.DmFull, $"A DM holds at most {DmLimits.MaxMembers} members.");
        }

        if (!isGroup && members.Count != 2)
        {
            throw DmVoiceException.Validation("A 1:1 DM has exactly two members.");
        }

        if (!isGroup && name is not null)
        {
            throw DmVoiceException.Validation("Only group DMs have a name.");
        }

        // The creator's own limits (DMs a minute, group DMs ever, DMs listed): what bounds the storage one
        // account can cause, whatever member ids it makes up. The directory calls no grain back.
        await GrainFactory.GetGrain<IUserDirectoryGrain>(creatorId).ReserveNewDm(DmGroupId, isGroup);

        state.State = new DmGroupState
        {
            Exists = true,
            Name = name,
            OwnerId = creatorId,
            Members = members,
            CreatedAt = clock.UtcNow,
            IsGroup = isGroup,
        };
        QueuePropagation(added: members, removed: []);
        await state.WriteOrDropAsync(this);
        await PropagateAsync();
        logger.LogInformation("DM {DmGroupId} created by {UserId} with {MemberCount} members", DmGroupId, creatorId, members.Count);
        return new DmGroupCreation(ToDto(), Created: true);
    }

    public Task<DmGroup> Get(string requesterId)
    {
        EnsureMember(requesterId);
        return Task.FromResult(ToDto());
    }

    public async Task<DmGroup> AddMember(string requesterId, string userId)
    {
        EnsureMember(requesterId);
        Validate.Id(userId, "userId");
        if (!state.State.IsGroup)
        {
            throw new DmVoiceException(ErrorCodes.NotGroupDm, "Members cannot be added to a 1:1 DM; create a group DM instead.");
        }

        if (state.State.Members.Contains(userId))
        {
            return ToDto();
        }

        if (state.State.Members.Count >= DmLimits.MaxMembers)
        {
            throw new DmVoiceException(ErrorCodes.DmFull, $"A DM holds at most {DmLimits.MaxMembers} members.");
        }

        state.State.Members.Add(userId);
        QueuePropagation(added: [userId], removed: []);
        await state.WriteOrDropAsync(this);
        await PropagateAsync();
        return ToDto();
    }

    public async Task<DmGroup?> RemoveMember(string requesterId, string userId)
    {
        EnsureMember(requesterId);
        Validate.Id(userId, "userId");
        if (!state.State.Members.Contains(userId))
        {
            throw new DmVoiceException(ErrorCodes.MemberNotFound, $"'{userId}' is not a member of this DM.");
        }

        if (!state.State.IsGroup)
        {
            throw new DmVoiceException(ErrorCodes.NotGroupDm, "Members cannot be removed from a 1:1 DM.");
        }

        if (requesterId != userId && requesterId != state.State.OwnerId)
        {
            throw new DmVoiceException(ErrorCodes.Forbidden, "Only the owner can remove other members.");
        }

        state.State.Members.Remove(userId);
        if (state.State.Members.Count == 0)
        {
            state.State.Exists = false;
        }
        else if (state.State.OwnerId == userId)
        {
            // Ownership passes on, as in Discord, so a group DM is never left without an owner.
            state.State.OwnerId = state.State.Members[0];
        }

        QueuePropagation(added: [], removed: [userId]);
        await state.WriteOrDropAsync(this);
        await PropagateAsync();
        return state.State.Exists ? ToDto() : null;
    }

    private void EnsureMember(string requesterId)
    {
        Validate.Id(requesterId, "userId");
        if (!state.State.Exists || !state.State.Members.Contains(requesterId))
        {
            // Non-members cannot tell an existing DM from a missing one.
            throw DmVoiceException.DmNotFound(DmGroupId);
        }
    }

    private DmGroup ToDto() => new(
        DmGroupId, state.State.Name, state.State.OwnerId, state.State.Members.ToArray(), state.State.CreatedAt, state.State.IsGroup);
}
