namespace DmVoice.Soak.Checking;

// What the checker reads: plain records, filled by the soak from what clients saw and what the system
// answered at the end, or by the checker's unit tests by hand.

public enum RoomKind
{
    Dm,
    Channel,
}

/// <summary>A participant's voice state as members see it (the display name and join time are left out: they never change by event).</summary>
public sealed record ParticipantState(string UserId, bool IsMuted, bool IsDeafened, bool IsVideoEnabled, bool IsScreenSharing, string? DeviceKind);

public sealed record RingFact(string UserId, string RingId, DateTimeOffset ExpiresAt);

/// <summary>A room (a DM's call or a channel's voice) as the system reports it at the end.</summary>
public sealed record RoomSnapshot(
    string RoomId,
    RoomKind Kind,
    long Version,
    string? CallId,
    IReadOnlyDictionary<string, ParticipantState> Participants,
    IReadOnlyList<RingFact> Ringing,
    IReadOnlyList<string> Members);

/// <summary>Where a user's own grain says they are (<c>GET /me/voice</c>'s <c>activeCall</c>).</summary>
public sealed record ActiveCallFact(string Kind, string RoomId, string? DeviceId);

/// <summary>
/// One device as its client knows it at the end: connected or not, and since when it has had no
/// connection (for a device that never connected, since a join first named it).
/// </summary>
public sealed record DeviceLiveness(string DeviceId, string UserId, bool Connected, DateTimeOffset? DisconnectedSince);

public sealed record OutcomeFact(string UserId, string Outcome);

public sealed record CallRecordFact(string CallId, string DmGroupId, string EndReason, IReadOnlyList<string> Participants, IReadOnlyList<OutcomeFact> Outcomes);

/// <summary>One event one device received (on its <paramref name="Connection"/>-th connection), with the parts the checker needs.</summary>
public sealed record ObservedEvent(
    DateTimeOffset At,
    string DeviceId,
    string UserId,
    string Name,
    string RoomId,
    long Version,
    string CallId,
    int Connection = 0,
    string? SubjectUserId = null,
    string? RingId = null,
    string? Outcome = null,
    IReadOnlyList<RingFact>? RingsStarted = null,
    CallRecordFact? Record = null);

/// <summary>A REST request or hub call and how it was answered (0 when no answer came: the connection broke).</summary>
public sealed record OperationRecord(DateTimeOffset At, string UserId, string Operation, int Status, string? Code, bool HasRetryAfter, double ElapsedMs, string? Detail = null);

/// <summary>A device that read a room's presence and found an older version than one it had already applied.</summary>
public sealed record VersionRegression(DateTimeOffset At, string DeviceId, string RoomId, long AppliedVersion, long ReadVersion);

/// <summary>One room as one live device last applied it, following the version rule.</summary>
public sealed record RoomView(string RoomId, long Version, string? CallId, IReadOnlyDictionary<string, ParticipantState> Participants, IReadOnlyCollection<string> RingingUserIds);

/// <summary>
/// What one device believes at the end. <see cref="Rooms"/> holds the rooms it knows; a room it never
/// heard of is not compared (counted as not checked).
/// </summary>
public sealed record DeviceFinalView(string DeviceId, string UserId, bool LiveAndSynced, IReadOnlyDictionary<string, RoomView> Rooms);

public sealed record Violation(string Invariant, string Detail);
