namespace DmVoice.Grains.Users;

/// <summary>
/// The index of live calls the user can see (<see cref="LiveCallIndex"/>), the grain's side: the room
/// grains' calls, and storing. Its changes cause no write of their own (see the index's remarks).
/// </summary>
public sealed partial class UserVoiceGrain
{
    // Registrations in the index that no write has stored yet: a failed write drops the activation
    // with them, and those calls are told (they would otherwise hear of no route change until their
    // next member check).
    private readonly HashSet<LiveCallRef> _unstoredLiveCalls = [];

    /// <summary>
    /// Interleaving: changes the index in memory only. A write here could overlap the write of the turn
    /// it interleaves with, so storing is left to that turn's write or to the deferred flush.
    /// </summary>
    public Task<MemberStatus> AddLiveCall(LiveCallRef call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (_liveCalls.Track(call))
        {
            _unstoredLiveCalls.Add(call);
            _writes.Changed();
        }

        return Task.FromResult(new MemberStatus(_seat.Current, _devices.Routes, _seat.CurrentSession, _seat.Joining));
    }

    public Task RemoveLiveCall(LiveCallRef call)
    {
        if (_liveCalls.Remove(call))
        {
            ForgotLiveCall();
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<LiveCallRef>> GetLiveCalls() =>
        Task.FromResult<IReadOnlyList<LiveCallRef>>(_liveCalls.ToArray());

    /// <summary>
    /// A write starts: the registrations it stores are those made until now. Should it fail, every
    /// registration not stored (including any made while it ran) is lost with the activation, and each
    /// of those calls is told, so it asks this user again soon (see <see cref="IVoiceRoomGrain.AskAgain"/>).
    /// </summary>
    private Action<bool> WritingLiveCalls()
    {
        var writing = _unstoredLiveCalls.ToArray();
        return stored =>
        {
            if (stored)
            {
                _unstoredLiveCalls.ExceptWith(writing);
                return;
            }

            foreach (var lost in _unstoredLiveCalls)
            {
                RoomOf(lost.Call).AskAgain(UserId).Ignore();
            }

            _unstoredLiveCalls.Clear();
        };
    }

    /// <summary>
    /// An entry left the index. Stored with the next write only (or at deactivation): an entry that
    /// outlives its call in storage is harmless, since a read or a route change finds it stale.
    /// </summary>
    private void ForgotLiveCall() => _writes.Changed(withinDelay: false);
}
