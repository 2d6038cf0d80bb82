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
}

/// <summary>
/// Owns who is in a DM. Every change is pushed to the DM's call grain and to each member's
/// directory, so those never have to call back here.
/// </summary>
public sealed class DmGroupGrain(
    [PersistentState("group", StorageNames.Default)] IPersistentState<DmGroupState> state,
    Infrastructure.CallClock clock,
    ILogger<DmGroupGrain> logger) : Grain, IDmGroupGrain
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

        state.State = new DmGroupState
        {
            Exists = true,
            Name = name,
            OwnerId = creatorId,
            Members = members,
            CreatedAt = clock.UtcNow,
            IsGroup = isGroup,
        };
        await state.WriteStateAsync();
        await PropagateMembershipAsync(added: members, removed: []);
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
        await state.WriteStateAsync();
        await PropagateMembershipAsync(added: [userId], removed: []);
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

        await state.WriteStateAsync();
        await PropagateMembershipAsync(added: [], removed: [userId]);
        return state.State.Exists ? ToDto() : null;
    }

    private async Task PropagateMembershipAsync(IReadOnlyList<string> added, IReadOnlyList<string> removed)
    {
        await GrainFactory.GetGrain<IDmCallGrain>(DmGroupId)
            .SyncMembers(state.State.Exists ? state.State.Members : [], state.State.IsGroup);

        var directoryUpdates = added
            .Select(id => GrainFactory.GetGrain<IUserDirectoryGrain>(id).AddDm(DmGroupId))
            .Concat(removed.Select(id => GrainFactory.GetGrain<IUserDirectoryGrain>(id).RemoveDm(DmGroupId)));
        await Task.WhenAll(directoryUpdates);

        // A membership change is activity in the DM: it moves up in every member's list (added members' AddDm did that).
        var at = clock.UtcNow;
        foreach (var id in state.State.Members.Except(added, StringComparer.Ordinal))
        {
            GrainFactory.GetGrain<IUserDirectoryGrain>(id).DmActivity(DmGroupId, at).Ignore();
        }
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
