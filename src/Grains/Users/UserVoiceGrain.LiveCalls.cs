namespace DmVoice.Grains.Users;

/// <summary>
/// The index of live calls the user can see, kept by the call grains: a call registers with each of
/// its DM's members when it goes live (and again at each new activation and member check) and
/// deregisters when it ends. It answers "what is live for me" in O(live calls), and it is the list of
/// calls that hear about this user's route changes.
/// </summary>
/// <remarks>
/// The index can be rebuilt, so its changes cause no write of their own: they are stored with the
/// grain's next write, and a call that registered is written within <c>Calls:DeferredWriteDelay</c>
/// should nothing else write first (<see cref="Infrastructure.CoalescedWrites{T}"/>). A registration
/// lost with a silo comes back with the call's next member check; a deregistration lost with it leaves
/// an entry that the next read or route change finds stale and drops.
/// </remarks>
public sealed partial class UserVoiceGrain
{
    /// <summary>
    /// Interleaving: changes the index in memory only. A write here could overlap the write of the turn
    /// it interleaves with, so storing is left to that turn's write or to the deferred flush.
    /// </summary>
    public Task<MemberStatus> AddLiveCall(LiveCallRef call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (TrackLiveCall(call))
        {
            _writes.Changed();
        }

        return Task.FromResult(new MemberStatus(CurrentCall, _devices.Routes, CurrentSession, _joining is not null));
    }

    public Task RemoveLiveCall(LiveCallRef call)
    {
        if (State.LiveCalls.Remove(call))
        {
            ForgotLiveCall();
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<LiveCallRef>> GetLiveCalls() =>
        Task.FromResult<IReadOnlyList<LiveCallRef>>(State.LiveCalls.ToArray());

    /// <summary>Records the call as live, replacing an older call of the same DM. Returns whether anything changed.</summary>
    private bool TrackLiveCall(LiveCallRef call)
    {
        var index = State.LiveCalls.FindIndex(c => c.Call == call.Call);
        if (index >= 0)
        {
            if (State.LiveCalls[index] == call)
            {
                return false;
            }

            State.LiveCalls[index] = call;
            return true;
        }

        State.LiveCalls.Add(call);
        return true;
    }

    /// <summary>
    /// An entry left the index. Stored with the next write only (or at deactivation): an entry that
    /// outlives its call in storage is harmless, since a read or a route change finds it stale.
    /// </summary>
    private void ForgotLiveCall() => _writes.Changed(withinDelay: false);
}
