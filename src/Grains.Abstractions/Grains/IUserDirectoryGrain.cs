namespace DmVoice.Abstractions;

/// <summary>A user's DMs and missed calls (key: user id), so "mine" queries need no scan.</summary>
[Alias("DmVoice.IUserDirectoryGrain")]
public interface IUserDirectoryGrain : IGrainWithStringKey
{
    [Alias("AddDm")]
    Task AddDm(string dmGroupId);

    [Alias("RemoveDm")]
    Task RemoveDm(string dmGroupId);

    [Alias("GetDmIds")]
    Task<IReadOnlyList<string>> GetDmIds();

    /// <summary>Records a call this user missed. One-way: call grains never wait on it.</summary>
    [OneWay]
    [Alias("AddMissedCall")]
    Task AddMissedCall(CallRecord record);

    /// <summary>Missed calls ended at or after <paramref name="since"/>, newest first.</summary>
    [Alias("GetMissedCalls")]
    Task<IReadOnlyList<CallRecord>> GetMissedCalls(DateTimeOffset? since, int limit);
}
