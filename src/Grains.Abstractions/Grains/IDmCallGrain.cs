namespace DmVoice.Abstractions;

/// <summary>
/// A DM's call (key: DM group id): participants, their voice state, ringing and history.
/// Joins come only through <see cref="IUserVoiceGrain"/>, which enforces one call per user.
/// This grain never calls <see cref="IDmGroupGrain"/>: membership is pushed to it, so the two
/// cannot wait on each other.
/// </summary>
[Alias("DmVoice.IDmCallGrain")]
public interface IDmCallGrain : IGrainWithStringKey
{
    /// <summary>Membership as the DM group grain knows it; members who left are removed from call and ring.</summary>
    [Alias("SyncMembers")]
    Task SyncMembers(IReadOnlyList<string> memberIds, bool isGroup);

    /// <summary>Adds the user to the call, starting it (and ringing the others) when nobody is in it.</summary>
    /// <param name="session">The user grain's join counter, echoed back when the user is removed.</param>
    /// <param name="routes">The gateways the joiner's devices are on, so the call can reach them at once.</param>
    [Alias("Join")]
    Task<JoinResult> Join(string userId, JoinRequest request, long session, GatewayRoute[] routes);

    /// <summary>Removes the user from the call. Returns false when the user was not in it.</summary>
    [Alias("Leave")]
    Task<bool> Leave(string userId, string reason);

    [Alias("UpdateState")]
    Task<VoiceParticipant> UpdateState(string userId, VoiceStatePatch patch);

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

    /// <summary>Ends the live call at once (the media room is gone).</summary>
    [Alias("EndCall")]
    Task EndCall(string reason);

    /// <summary>
    /// The member's devices are now on these gateways (their user grain, the authority on routes,
    /// says so). Awaited by the user grain, so a device that connected is reachable when it syncs.
    /// Answers the id of the live call the member sees here, or null when there is none, so the
    /// member's index of live calls can drop a stale entry.
    /// </summary>
    [Alias("RoutesChanged")]
    Task<string?> RoutesChanged(string userId, GatewayRoute[] routes);

    /// <summary>Whether the user holds a seat in the live call under this join session. Read-only.</summary>
    [Alias("HoldsSeat")]
    Task<bool> HoldsSeat(string userId, long session);

    /// <summary>Runs whatever deadline (ring timeout, empty-call grace) is due. Called by the grain's own timer.</summary>
    [Alias("ProcessDeadlines")]
    Task ProcessDeadlines();
}
