namespace DmVoice.Grains.Users;

/// <summary>
/// The index of live calls the user can see (<see cref="LiveCallIndex"/>), the grain's side: the room
/// grains' calls, handed to <see cref="LiveCallNotifier"/>. Its changes cause no write of their own (see
/// the index's remarks). Also what the DM calls ask and tell about ringing the user (<see cref="RingAnswers"/>),
/// and their starts: activity held for the user's DM list.
/// </summary>
public sealed partial class UserVoiceGrain
{
    /// <summary>
    /// Interleaving: changes the index in memory only. A write here could overlap the write of the turn
    /// it interleaves with, so storing is left to that turn's write or to the deferred flush. The ring
    /// question is answered first: when the settings cannot be fetched, nothing is registered.
    /// </summary>
    public async Task<MemberStatus> AddLiveCall(LiveCallRef call, RingQuestion? ring)
    {
        ArgumentNullException.ThrowIfNull(call);
        RingVerdict? verdict = ring is null ? null : await _rings.AnswerAsync(ring);
        _liveCallNotifier.Register(call);
        return new MemberStatus(_seat.Current, _devices.Routes, _seat.CurrentSession, _seat.Joining, verdict);
    }

    public Task ForgetRingSettings()
    {
        _rings.Forget();
        return Task.CompletedTask;
    }

    public Task CountRing(string callerId)
    {
        _rings.Count(callerId);
        return Task.CompletedTask;
    }

    public Task RemoveLiveCall(LiveCallRef call)
    {
        _liveCallNotifier.Deregister(call);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<LiveCallRef>> GetLiveCalls() =>
        Task.FromResult<IReadOnlyList<LiveCallRef>>(_liveCalls.ToArray());

    /// <summary>A call started in one of the user's DMs: held for the user's DM list (<see cref="DmActivityHandOver"/>).</summary>
    public Task DmActivity(string dmGroupId, DateTimeOffset at, string? rungBy)
    {
        _dmActivity.Hold(dmGroupId, at);
        if (rungBy is not null)
        {
            _rings.Count(rungBy);
        }

        return Task.CompletedTask;
    }

    public Task<DmActivityEntry[]> GetHeldDmActivity() => Task.FromResult(_dmActivity.Held());
}
