namespace DmVoice.Abstractions;

/// <summary>
/// A user's voice presence (key: user id): the one active call, and whether any device is
/// connected. Joining another call leaves the first.
/// </summary>
[Alias("DmVoice.IUserVoiceGrain")]
public interface IUserVoiceGrain : IGrainWithStringKey
{
    [Alias("JoinDmCall")]
    Task<JoinResult> JoinDmCall(string dmGroupId, JoinRequest request);

    /// <summary>Leaves the DM's call; <see cref="ErrorCodes.NotInCall"/> when the user is not in it.</summary>
    [Alias("LeaveDmCall")]
    Task LeaveDmCall(string dmGroupId);

    /// <summary>Read-only and interleaving, so a call grain can ask "is this user busy?" without deadlock.</summary>
    [AlwaysInterleave]
    [Alias("GetActiveCall")]
    Task<CallContext?> GetActiveCall();

    /// <summary>
    /// Told by a call grain that the user is no longer in its call (removed, disconnected, call ended).
    /// One-way, so the call grain never waits on this grain.
    /// </summary>
    [OneWay]
    [Alias("OnRemovedFromCall")]
    Task OnRemovedFromCall(CallContext call, long session);

    /// <summary>A device connected (a SignalR connection on some gateway).</summary>
    [Alias("ConnectionOpened")]
    Task ConnectionOpened(string connectionId);

    /// <summary>A device disconnected; when none is left, the user leaves their call after a grace.</summary>
    [Alias("ConnectionClosed")]
    Task ConnectionClosed(string connectionId);

    /// <summary>Runs the disconnect grace when due. Called by the grain's own timer.</summary>
    [Alias("ProcessDeadlines")]
    Task ProcessDeadlines();
}
