namespace DmVoice.Abstractions;

/// <summary>
/// A user's DMs, newest activity first, and missed calls (key: user id), so "mine" queries need no scan.
/// A DM's activity is its creation, its last membership change and its last call, whichever is latest.
/// </summary>
[Alias("DmVoice.IUserDirectoryGrain")]
public interface IUserDirectoryGrain : IGrainWithStringKey
{
    /// <summary>The user is now a member of the DM (created with them, or they were added): activity now.</summary>
    [Alias("AddDm")]
    Task AddDm(string dmGroupId);

    /// <summary>
    /// The user is about to create the DM <paramref name="dmGroupId"/> (which does not exist yet): counts it
    /// against their limits, or refuses. 409 <see cref="ErrorCodes.LimitReached"/> when their list already holds
    /// <c>Calls:DmsPerUser</c> DMs, or (a group DM) they have created <c>Calls:GroupDmsCreatedLimit</c> group DMs;
    /// 429 <see cref="ErrorCodes.RateLimited"/> (with the wait) beyond <c>Calls:DmsCreatedPerMinute</c>. A creation
    /// that fails after this still counts: the limits err on the side of storing less.
    /// </summary>
    [Alias("ReserveNewDm")]
    Task ReserveNewDm(string dmGroupId, bool isGroup);

    /// <summary>The user left the DM or was removed; their settings for it go too.</summary>
    [Alias("RemoveDm")]
    Task RemoveDm(string dmGroupId);

    /// <summary>
    /// The members of one of the user's DMs changed. Moves it up unless it already shows later activity;
    /// ignored for a DM the user is not in. One-way: senders never wait on it. The new order shows at once;
    /// it is stored with the grain's next write, or within <c>Calls:DirectoryOrderWriteDelay</c>, or at
    /// deactivation (a crash may lose that much of it: the order is not critical).
    /// </summary>
    [OneWay]
    [Alias("DmActivity")]
    Task DmActivity(string dmGroupId, DateTimeOffset at);

    /// <summary>
    /// Call starts in the user's DMs, held by the user's <see cref="IUserVoiceGrain"/> and handed over by it:
    /// each DM moves up unless it already shows later activity, and the order is stored before this returns.
    /// </summary>
    [Alias("TakeDmActivity")]
    Task TakeDmActivity(DmActivityEntry[] entries);

    /// <summary>
    /// One page of the user's DMs, newest activity first (ties by id), starting after <paramref name="after"/>.
    /// Costs O(page), not O(DMs). The first page also asks the user's <see cref="IUserVoiceGrain"/> for the
    /// call starts it holds (<see cref="IUserVoiceGrain.GetHeldDmActivity"/>), so a call that just started
    /// shows its DM on top.
    /// </summary>
    [Alias("GetDmPage")]
    Task<DmPage> GetDmPage(int limit, DmCursor? after);

    /// <summary>Records a call this user missed. One-way: call grains never wait on it.</summary>
    [OneWay]
    [Alias("AddMissedCall")]
    Task AddMissedCall(CallRecord record);

    /// <summary>Missed calls ended at or after <paramref name="since"/>, newest first.</summary>
    [Alias("GetMissedCalls")]
    Task<IReadOnlyList<CallRecord>> GetMissedCalls(DateTimeOffset? since, int limit);
}

/// <summary>A DM in a user's list, with its latest activity.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.DmActivityEntry")]
public sealed record DmActivityEntry(
    [property: Id(0)] string DmGroupId,
    [property: Id(1)] DateTimeOffset LastActivityAt);

/// <summary>Where a page of DMs ends: the next page starts after this entry. Clients see it only as an opaque string.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.DmCursor")]
public sealed record DmCursor(
    [property: Id(0)] DateTimeOffset LastActivityAt,
    [property: Id(1)] string DmGroupId);

/// <summary>One page of a user's DMs; <c>Next</c> is null on the last page.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.DmPage")]
public sealed record DmPage(
    [property: Id(0)] IReadOnlyList<DmActivityEntry> Entries,
    [property: Id(1)] DmCursor? Next);
