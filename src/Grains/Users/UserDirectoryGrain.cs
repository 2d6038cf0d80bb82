using DmVoice.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Users;

[GenerateSerializer]
[Alias("DmVoice.UserDirectoryState")]
public sealed class UserDirectoryState
{
    [Id(0)] public HashSet<string> DmIds { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Oldest first; trimmed to the configured limit.</summary>
    [Id(1)] public List<CallRecord> MissedCalls { get; set; } = [];
}

/// <summary>A user's DMs and missed calls, so "my DMs" and "my missed calls" read one grain.</summary>
public sealed class UserDirectoryGrain(
    [PersistentState("directory", StorageNames.Default)] IPersistentState<UserDirectoryState> state,
    IOptions<CallOptions> options) : Grain, IUserDirectoryGrain
{
    public async Task AddDm(string dmGroupId)
    {
        if (state.State.DmIds.Add(dmGroupId))
        {
            await state.WriteOrDropAsync(this);
        }
    }

    public async Task RemoveDm(string dmGroupId)
    {
        if (state.State.DmIds.Remove(dmGroupId))
        {
            await state.WriteOrDropAsync(this);
        }
    }

    public Task<IReadOnlyList<string>> GetDmIds() =>
        Task.FromResult<IReadOnlyList<string>>(state.State.DmIds.Order(StringComparer.Ordinal).ToArray());

    public async Task AddMissedCall(CallRecord record)
    {
        var missed = state.State.MissedCalls;
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

        await state.WriteOrDropAsync(this);
    }

    public Task<IReadOnlyList<CallRecord>> GetMissedCalls(DateTimeOffset? since, int limit)
    {
        IReadOnlyList<CallRecord> result = state.State.MissedCalls
            .Where(r => since is null || r.EndedAt >= since)
            .OrderByDescending(r => r.EndedAt)
            .Take(Math.Clamp(limit, 1, 200))
            .ToArray();
        return Task.FromResult(result);
    }
}
