using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Users;

[GenerateSerializer]
[Alias("DmVoice.UserDirectoryState")]
public sealed class UserDirectoryState
{
    [Id(0)] public HashSet<string> DmIds { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Oldest first; trimmed to the configured limit.</summary>
    [Id(1)] public List<CallRecord> MissedCalls { get; set; } = [];

    /// <summary>Each DM's latest activity (creation, membership change, call start). DMs from before it was kept have none.</summary>
    [Id(2)] public Dictionary<string, DateTimeOffset> DmActivity { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Group DMs this user has created, ever (<c>Calls:GroupDmsCreatedLimit</c>).</summary>
    [Id(3)] public int GroupDmsCreated { get; set; }

    /// <summary>When this user created their DMs of the last minute, oldest first (<c>Calls:DmsCreatedPerMinute</c>).</summary>
    [Id(4)] public List<DateTimeOffset> RecentCreations { get; set; } = [];
}

/// <summary>
/// A user's DMs and missed calls, so "my DMs" and "my missed calls" read one grain. The DMs are kept in
/// order of their latest activity, so a page of them costs O(page) however many DMs the user has.
/// Membership comes from the DM group grains (awaited); call starts from the user's voice grain, which
/// holds them (<see cref="HeldDmActivity"/>) and hands them over, and which the first page of a read asks
/// for what it holds (an interleaving read). Otherwise the only grain it calls is the user's settings
/// grain, one-way, when a DM is left.
/// </summary>
/// <remarks>
/// <para>Membership and missed calls are written at once. A DM's later activity only changes its place in
/// the list: it shows at once (from memory) and is stored with the next write, or within
/// <c>Calls:DirectoryOrderWriteDelay</c> (a minute by default), or at deactivation. A silo crash can lose
/// that much of it, and the DM then shows at its previous place until its next activity; no DM is ever
/// lost with it, since membership is written at once.</para>
/// <para>A list is kept in memory for a user who reads it. One that only hears from other grains (a DM
/// created or left, a missed call, call starts handed over) stores the change and is let go once idle:
/// at scale most users' lists are written far more often than read, and an activation would otherwise
/// stay for each of them after every DM created and every call started.</para>
/// </remarks>
public sealed partial class UserDirectoryGrain(
    [PersistentState("directory", StorageNames.Default)] IPersistentState<UserDirectoryState> state,
    CallClock clock,
    IOptions<CallOptions> options,
    ILogger<UserDirectoryGrain> logger) : Grain, IUserDirectoryGrain
{
    /// <summary>The DMs newest activity first (ties by id): the order pages are read in. Built at activation.</summary>
    private readonly SortedSet<DmActivityEntry> _byActivity = new(NewestFirst.Instance);

    private CoalescedWrites<UserDirectoryState>? _writes;

    /// <summary>Whether this activation served its user a read: only then is it kept between changes (see remarks).</summary>
    private bool _readByUser;

    private CoalescedWrites<UserDirectoryState> Writes =>
        _writes ??= new CoalescedWrites<UserDirectoryState>(this, state, options.Value.DirectoryOrderWriteDelay, logger);

    private UserDirectoryState State => state.State;

    private string UserId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var id in State.DmIds)
        {
            _byActivity.Add(new DmActivityEntry(id, State.DmActivity.GetValueOrDefault(id, DateTimeOffset.MinValue)));
        }

        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        Writes.FlushOnDeactivateAsync();

    public async Task AddDm(string dmGroupId)
    {
        var added = State.DmIds.Add(dmGroupId);
        if (SetActivity(dmGroupId, clock.UtcNow) || added)
        {
            await Writes.WriteAsync();
        }

        LetGoUnlessRead();
    }

    public async Task ReserveNewDm(string dmGroupId, bool isGroup)
    {
        var limits = options.Value;
        if (State.DmIds.Contains(dmGroupId))
        {
            return;
        }

        if (State.DmIds.Count >= limits.DmsPerUser)
        {
            throw new DmVoiceException(ErrorCodes.LimitReached, $"You are in {State.DmIds.Count} DMs, the most one user may be in to create another; leave some first.");
        }

        if (isGroup && State.GroupDmsCreated >= limits.GroupDmsCreatedLimit)
        {
            throw new DmVoiceException(ErrorCodes.LimitReached, $"You have created {State.GroupDmsCreated} group DMs, the most one user may create.");
        }

        var now = clock.UtcNow;
        State.RecentCreations.RemoveAll(at => at <= now - TimeSpan.FromMinutes(1));
        if (State.RecentCreations.Count >= limits.DmsCreatedPerMinute)
        {
            var wait = State.RecentCreations[0] + TimeSpan.FromMinutes(1) - now;
            throw new DmVoiceException(
                ErrorCodes.RateLimited,
                $"You may create {limits.DmsCreatedPerMinute} DMs a minute; try again shortly.",
                wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait);
        }

        State.RecentCreations.Add(now);
        if (isGroup)
        {
            State.GroupDmsCreated++;
        }

        await state.WriteOrDropAsync(this);
    }

    public async Task RemoveDm(string dmGroupId)
    {
        if (!State.DmIds.Remove(dmGroupId))
        {
            return;
        }

        _byActivity.Remove(new DmActivityEntry(dmGroupId, State.DmActivity.GetValueOrDefault(dmGroupId, DateTimeOffset.MinValue)));
        State.DmActivity.Remove(dmGroupId);
        await Writes.WriteAsync();
        GrainFactory.GetGrain<IUserSettingsGrain>(UserId).ForgetDm(dmGroupId).Ignore();
        LetGoUnlessRead();
    }

    public Task DmActivity(string dmGroupId, DateTimeOffset at)
    {
        // Shows in the next page read at once; stored with the next write, or soon (see remarks).
        if (State.DmIds.Contains(dmGroupId) && SetActivity(dmGroupId, at))
        {
            Writes.Changed();
        }

        LetGoUnlessRead();
        return Task.CompletedTask;
    }

    public async Task TakeDmActivity(DmActivityEntry[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var moved = false;
        foreach (var entry in entries)
        {
            moved |= State.DmIds.Contains(entry.DmGroupId) && SetActivity(entry.DmGroupId, entry.LastActivityAt);
        }

        // Also what a read took from the user grain earlier (pending): the user grain lets go of it now.
        if (moved || Writes.Pending)
        {
            await Writes.WriteAsync();
        }

        LetGoUnlessRead();
    }

    public async Task<DmPage> GetDmPage(int limit, DmCursor? after)
    {
        _readByUser = true;
        if (after is null)
        {
            await TakeHeldActivityAsync();
        }

        limit = Math.Clamp(limit, 1, 100);
        IEnumerable<DmActivityEntry> from = _byActivity;
        if (after is not null)
        {
            var start = new DmActivityEntry(after.DmGroupId, after.LastActivityAt);
            from = _byActivity.Count == 0 || NewestFirst.Instance.Compare(start, _byActivity.Max) > 0
                ? []
                : _byActivity.GetViewBetween(start, _byActivity.Max!);
        }

        // One more than asked, to know whether another page follows; the cursor entry itself is skipped.
        var page = new List<DmActivityEntry>(limit + 1);
        foreach (var entry in from)
        {
            if (after is not null && entry.DmGroupId == after.DmGroupId && entry.LastActivityAt == after.LastActivityAt)
            {
                continue;
            }

            page.Add(entry);
            if (page.Count > limit)
            {
                break;
            }
        }

        DmCursor? next = null;
        if (page.Count > limit)
        {
            page.RemoveAt(limit);
            next = new DmCursor(page[^1].LastActivityAt, page[^1].DmGroupId);
        }

        return new DmPage(page, next);
    }

    /// <summary>
    /// Shows the call starts the user's voice grain holds. Stored only with the next write or at deactivation
    /// (the voice grain still holds them, and hands them over to be stored). Best effort: a list that cannot
    /// ask shows the order it has.
    /// </summary>
    private async Task TakeHeldActivityAsync()
    {
        DmActivityEntry[] held;
        try
        {
            held = await GrainFactory.GetGrain<IUserVoiceGrain>(UserId).GetHeldDmActivity();
        }
        catch (Exception ex)
        {
            LogHeldActivityUnanswered(ex, UserId);
            return;
        }

        foreach (var entry in held)
        {
            if (State.DmIds.Contains(entry.DmGroupId) && SetActivity(entry.DmGroupId, entry.LastActivityAt))
            {
                Writes.Changed(withinDelay: false);
            }
        }
    }

    /// <summary>A list nobody reads is not kept in memory once it stored what it was told (see remarks).</summary>
    private void LetGoUnlessRead()
    {
        if (!_readByUser)
        {
            DeactivateOnIdle();
        }
    }

    public async Task AddMissedCall(CallRecord record)
    {
        var missed = State.MissedCalls;
        if (missed.Any(r => r.CallId == record.CallId))
        {
            return;
        }

        missed.Add(record);
        var excess = missed.Count - options.Value.MissedCallLimit;
        if (excess > 0)
        {
            missed.RemoveRange(0, excess);
        }

        await Writes.WriteAsync();
        LetGoUnlessRead();
    }

    public Task<IReadOnlyList<CallRecord>> GetMissedCalls(DateTimeOffset? since, int limit)
    {
        _readByUser = true;
        IReadOnlyList<CallRecord> result = State.MissedCalls
            .Where(r => since is null || r.EndedAt >= since)
            .OrderByDescending(r => r.EndedAt)
            .Take(Math.Clamp(limit, 1, 200))
            .ToArray();
        return Task.FromResult(result);
    }

    /// <summary>Moves the DM to <paramref name="at"/> unless it already shows later activity. Returns whether it moved.</summary>
    private bool SetActivity(string dmGroupId, DateTimeOffset at)
    {
        var had = State.DmActivity.TryGetValue(dmGroupId, out var current);
        if (had && current >= at)
        {
            return false;
        }

        _byActivity.Remove(new DmActivityEntry(dmGroupId, had ? current : DateTimeOffset.MinValue));
        State.DmActivity[dmGroupId] = at;
        _byActivity.Add(new DmActivityEntry(dmGroupId, at));
        return true;
    }

    /// <summary>Newest activity first; equal times by id, so every entry has one place and cursors are exact.</summary>
    private sealed class NewestFirst : IComparer<DmActivityEntry>
    {
        public static readonly NewestFirst Instance = new();

        public int Compare(DmActivityEntry? x, DmActivityEntry? y)
        {
            var byTime = y!.LastActivityAt.CompareTo(x!.LastActivityAt);
            return byTime != 0 ? byTime : string.CompareOrdinal(x.DmGroupId, y.DmGroupId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: the voice grain did not say which call starts it holds; listing the DMs in their stored order")]
    private partial void LogHeldActivityUnanswered(Exception exception, string userId);
}
