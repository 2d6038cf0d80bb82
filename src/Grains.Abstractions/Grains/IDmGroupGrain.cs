namespace DmVoice.Abstractions;

/// <summary>A DM's membership (key: DM group id). The one place that decides who is a member.</summary>
[Alias("DmVoice.IDmGroupGrain")]
public interface IDmGroupGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates the DM with <paramref name="creatorId"/> as owner. Creating a 1:1 DM that exists
    /// returns it unchanged (<c>Created = false</c>) when the creator is one of its members.
    /// </summary>
    [Alias("Create")]
    Task<DmGroupCreation> Create(string creatorId, IReadOnlyList<string> memberIds, string? name, bool isGroup);

    /// <summary>The DM, for a member; <see cref="ErrorCodes.DmNotFound"/> for anyone else.</summary>
    [Alias("Get")]
    Task<DmGroup> Get(string requesterId);

    /// <summary>Adds a member to a group DM (any member may add, up to the limit). Idempotent.</summary>
    [Alias("AddMember")]
    Task<DmGroup> AddMember(string requesterId, string userId);

    /// <summary>Removes a member: the owner removes anyone, others only themselves. Ends their call and ring.</summary>
    [Alias("RemoveMember")]
    Task<DmGroup?> RemoveMember(string requesterId, string userId);
}
