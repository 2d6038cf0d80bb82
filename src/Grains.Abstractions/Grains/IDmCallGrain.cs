namespace DmVoice.Abstractions;

/// <summary>
/// A DM's call (key: DM group id): participants and their voice state (the shared room model of
/// <see cref="IVoiceRoomGrain"/>), ringing and history.
/// This grain never calls <see cref="IDmGroupGrain"/>: membership is pushed to it, so the two
/// cannot wait on each other.
/// </summary>
[Alias("DmVoice.IDmCallGrain")]
public interface IDmCallGrain : IVoiceRoomGrain
{
    /// <summary>Membership as the DM group grain knows it; members who left are removed from call and ring.</summary>
    [Alias("SyncMembers")]
    Task SyncMembers(IReadOnlyList<string> memberIds, bool isGroup);

    [Alias("GetPresence")]
    Task<CallPresence> GetPresence(string requesterId);

    /// <summary>Rings members again (default: every member neither in the call nor ringing).</summary>
    [Alias("Ring")]
    Task<RingResult> Ring(string requesterId, IReadOnlyList<string>? recipientIds);

    /// <summary>The recipient declines on all devices; the caller is told.</summary>
    [Alias("Decline")]
    Task Decline(string userId);

    /// <summary>The recipient silences the ring on all devices; not a decline.</summary>
    [Alias("Dismiss")]
    Task Dismiss(string userId);

    /// <summary>A participant stops ringing others.</summary>
    [Alias("StopRinging")]
    Task StopRinging(string requesterId, IReadOnlyList<string> recipientIds);

    /// <summary>Finished calls, newest first.</summary>
    [Alias("GetHistory")]
    Task<IReadOnlyList<CallRecord>> GetHistory(string requesterId, int limit, DateTimeOffset? before);
}
