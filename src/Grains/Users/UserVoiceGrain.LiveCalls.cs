namespace DmVoice.Grains.Users;

/// <summary>
/// The index of live calls the user can see, kept by the call grains: a call registers with each of
/// its DM's members when it goes live and deregisters when it ends. It answers "what is live for me"
/// in O(live calls), and it is the list of calls that hear about this user's route changes.
/// </summary>
public sealed partial class UserVoiceGrain
{
    // Set by interleaving calls, which must not write state themselves (a write could overlap the
    // write of the turn they interleave with); a follow-up turn saves it.
    private bool _unsaved;

    public Task<MemberStatus> AddLiveCall(LiveCallRef call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (TrackLiveCall(call))
        {
            _unsaved = true;
            SaveSoon();
        }

        return Task.FromResult(new MemberStatus(CurrentCall, Routes(), CurrentSession, _joining is not null));
    }

    public async Task RemoveLiveCall(LiveCallRef call)
    {
        if (State.LiveCalls.Remove(call))
        {
            await SaveAsync();
        }
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

    /// <summary>Queues a turn of this grain that writes what an interleaving call changed.</summary>
    private void SaveSoon()
    {
        var pending = this.AsReference<IUserVoiceGrain>().ProcessDeadlines();
        pending.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
