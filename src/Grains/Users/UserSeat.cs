namespace DmVoice.Grains.Users;

/// <summary>
/// The rules of a user's one seat, over the user grain's stored state: which call it is in, the join
/// counter (session) that took it, the device that holds it, and the join in flight. Plain code (the
/// grain calls the rooms and stores), so every rule is tested on its own.
/// </summary>
/// <remarks>
/// Only the user grain hands out sessions, one per join. While a join runs, it is reported as the
/// user's call, so a room checking its participants (or ringing this user) sees where the user is
/// going, not where they were. A room's "you were removed" applies only to the session it names, and a
/// seat the room holds under a later session than ours comes from a join of ours that failed to answer
/// after the room stored it: the seat is adopted, not left.
/// </remarks>
public sealed class UserSeat(UserVoiceState state)
{
    /// <summary>After a room failed to answer, when to confirm the seat with it again: a write that timed out there may still land.</summary>
    public static readonly TimeSpan[] ConfirmDelays = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(20)];

    private (CallContext Call, long Session)? _joining;

    /// <summary>The call the user is in, or joining.</summary>
    public CallContext? Current => _joining?.Call ?? state.Active;

    /// <summary>The session of that call (the join's, while one runs).</summary>
    public long CurrentSession => _joining?.Session ?? state.Session;

    public bool Joining => _joining is not null;

    public VoiceSeat? Seat => state.Active is { } active ? new VoiceSeat(active, state.ActiveDevice, state.ActiveDeviceKind) : null;

    /// <summary>Marks a join into <paramref name="target"/> in flight; returns the session it asks for.</summary>
    public long BeginJoin(CallContext target)
    {
        var session = state.Session + 1;
        _joining = (target, session);
        return session;
    }

    /// <summary>The join is over, whatever its outcome.</summary>
    public void EndJoin() => _joining = null;

    /// <summary>
    /// The room took the user under <paramref name="session"/>. A join that names no device into the
    /// room the user is in leaves the seat on the device that holds it.
    /// </summary>
    public void Joined(CallContext target, long session, string? deviceId, string? deviceKind)
    {
        var previous = state.Active;
        state.Session = session;
        state.Active = target;
        if (previous != target || deviceId is not null)
        {
            state.ActiveDevice = deviceId;
            state.ActiveDeviceKind = deviceKind;
        }
    }

    /// <summary>Refuses a leave from a device the seat has moved away from: that device must not take the user out.</summary>
    public void EnsureMayLeave(CallContext target, string? deviceId)
    {
        if (deviceId is not null && state.Active == target && state.ActiveDevice is { } seat && seat != deviceId)
        {
            throw new DmVoiceException(ErrorCodes.NotInCall, "Your voice session in this call is on another of your devices.");
        }
    }

    /// <summary>The user left <paramref name="target"/>: forgets the seat if it is there. Returns whether it was.</summary>
    public bool Left(CallContext target)
    {
        if (state.Active != target)
        {
            return false;
        }

        Forget();
        return true;
    }

    /// <summary>A room removed the user: applies only to the seat that session took. Returns whether the seat went.</summary>
    public bool Removed(CallContext call, long session)
    {
        if (state.Active != call || state.Session != session)
        {
            return false;
        }

        Forget();
        return true;
    }

    /// <summary>The call to confirm with its room, if any: none while a join runs (it settles the seat itself).</summary>
    public CallContext? ToConfirm => _joining is null ? state.Active : null;

    /// <summary>
    /// Settles the seat in <paramref name="active"/>, asked under <paramref name="session"/>, with what the
    /// room holds: the same session keeps it, a later one is adopted (with its device), none forgets it.
    /// Nothing changes if the seat changed while the room was asked.
    /// </summary>
    public SeatConfirmation Confirm(CallContext active, long session, HeldSeat? held)
    {
        if (held?.Session == session || state.Active != active || state.Session != session)
        {
            return SeatConfirmation.Kept;
        }

        if (held is not null && held.Session > session)
        {
            state.Session = held.Session;
            state.ActiveDevice = held.DeviceId;
            state.ActiveDeviceKind = held.DeviceKind;
            return SeatConfirmation.Adopted;
        }

        Forget();
        return SeatConfirmation.Forgotten;
    }

    /// <summary>Whether the disconnect grace has run out at <paramref name="now"/>.</summary>
    public bool GraceOver(DateTimeOffset now) => state.DisconnectDeadline is { } deadline && deadline <= now;

    /// <summary>Gives the seat up, with its device and grace.</summary>
    public void Forget()
    {
        state.Active = null;
        state.ActiveDevice = null;
        state.ActiveDeviceKind = null;
        state.DisconnectDeadline = null;
    }
}

/// <summary>What confirming a seat with its room did.</summary>
public enum SeatConfirmation
{
    /// <summary>Nothing to change: the room holds the seat as known, or the seat changed meanwhile.</summary>
    Kept,

    /// <summary>The room holds a later join of the user's that failed to answer: the seat is now as the room stored it.</summary>
    Adopted,

    /// <summary>The room no longer holds the seat: it is forgotten.</summary>
    Forgotten,
}
