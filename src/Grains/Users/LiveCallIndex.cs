namespace DmVoice.Grains.Users;

/// <summary>
/// The index of live calls the user can see, kept by the call grains: a call registers with each of
/// its DM's members when it goes live (and again at each new activation and member check) and
/// deregisters when it ends. It answers "what is live for me" in O(live calls), and it is the list of
/// calls that hear about this user's route changes. Plain code over the user grain's stored state.
/// </summary>
/// <remarks>
/// The index can be rebuilt, so its changes cause no write of their own: the grain stores them with its
/// next write, and a call that registered within <c>Calls:DeferredWriteDelay</c> should nothing else
/// write first (<see cref="Infrastructure.CoalescedWrites{T}"/>). A registration lost with a silo comes
/// back with the call's next member check; a deregistration lost with it leaves an entry that the next
/// read or route change finds stale and drops.
/// </remarks>
public sealed class LiveCallIndex(UserVoiceState state)
{
    public bool IsEmpty => state.LiveCalls.Count == 0;

    public LiveCallRef[] ToArray() => state.LiveCalls.ToArray();

    /// <summary>Records the call as live, replacing an older call of the same DM or channel. Returns whether anything changed.</summary>
    public bool Track(LiveCallRef call)
    {
        var index = state.LiveCalls.FindIndex(c => c.Call == call.Call);
        if (index >= 0)
        {
            if (state.LiveCalls[index] == call)
            {
                return false;
            }

            state.LiveCalls[index] = call;
            return true;
        }

        state.LiveCalls.Add(call);
        return true;
    }

    /// <summary>The call ended (or the user can no longer see it). Returns whether it was in the index.</summary>
    public bool Remove(LiveCallRef call) => state.LiveCalls.Remove(call);

    /// <summary>Drops the entries found stale (a call that ended while its deregistration was on its way). Returns whether any went.</summary>
    public bool RemoveStale(IEnumerable<LiveCallRef?> stale)
    {
        var set = stale.OfType<LiveCallRef>().ToHashSet();
        return set.Count > 0 && state.LiveCalls.RemoveAll(set.Contains) > 0;
    }
}
