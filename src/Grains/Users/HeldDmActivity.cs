namespace DmVoice.Grains.Users;

/// <summary>
/// Call starts in a user's DMs, held by the user's voice grain for the user's DM list
/// (<see cref="UserDirectoryGrain"/>), which orders the DMs by their latest activity. Every member of a
/// starting call has a voice grain active already (the call registers with it), while their DM list is
/// needed only when they read it: holding the activity here means a call start activates no list. Held
/// activity is handed over when <see cref="Due"/> (one delay after the first of it, or after the grain's
/// activation when the state holds some); a read of the list asks for it meanwhile. Later activity of a
/// DM replaces earlier. Plain code over the user grain's stored state.
/// </summary>
/// <remarks>
/// Stored only with the grain's other writes and at deactivation, so a deactivation never waits on a
/// list (which a stopping silo may not be able to place). A crash loses what was held since the last
/// write, and the DM then shows at its previous place until its next activity, as with the list's own
/// order between its writes.
/// </remarks>
public sealed class HeldDmActivity
{
    private readonly UserVoiceState _state;
    private readonly TimeSpan _delay;

    public HeldDmActivity(UserVoiceState state, TimeSpan delay, DateTimeOffset now)
    {
        _state = state;
        _delay = delay;
        if (!IsEmpty)
        {
            Due = now + delay;
        }
    }

    /// <summary>When the held activity is to be handed over; null when nothing is held.</summary>
    public DateTimeOffset? Due { get; private set; }

    public bool IsEmpty => _state.HeldDmActivity is null || _state.HeldDmActivity.Count == 0;

    /// <summary>Holds the DM's activity at <paramref name="at"/>, unless later activity of it is held already.</summary>
    public void Hold(string dmGroupId, DateTimeOffset at, DateTimeOffset now)
    {
        var held = _state.HeldDmActivity ??= new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (!held.TryGetValue(dmGroupId, out var known) || known < at)
        {
            held[dmGroupId] = at;
        }

        Due ??= now + _delay;
    }

    public DmActivityEntry[] ToArray() =>
        _state.HeldDmActivity is not { } held ? [] : held.Select(entry => new DmActivityEntry(entry.Key, entry.Value)).ToArray();

    /// <summary>The list stored <paramref name="entries"/>: they are no longer held, unless a DM had later activity since.</summary>
    public void HandedOver(IEnumerable<DmActivityEntry> entries)
    {
        if (_state.HeldDmActivity is not { } held)
        {
            return;
        }

        foreach (var entry in entries)
        {
            if (held.TryGetValue(entry.DmGroupId, out var known) && known <= entry.LastActivityAt)
            {
                held.Remove(entry.DmGroupId);
            }
        }

        if (held.Count == 0)
        {
            _state.HeldDmActivity = null;
            Due = null;
        }
    }

    /// <summary>The list could not take it: try again one delay from <paramref name="now"/>.</summary>
    public void HandOverFailed(DateTimeOffset now)
    {
        if (!IsEmpty)
        {
            Due = now + _delay;
        }
    }
}
