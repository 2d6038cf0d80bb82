namespace DmVoice.Soak.Checking;

/// <summary>
/// Everything the checker compares, gathered after the quiet period: what the system says at the end
/// (rooms, users' own view, history), what every device saw and applied, and every answer.
/// </summary>
public sealed record SoakEvidence
{
    public required DateTimeOffset CheckedAt { get; init; }

    /// <summary>How long a user may stay a participant after their last device went: disconnect grace, lease timeout and a margin for retried closes.</summary>
    public required TimeSpan PresenceWindow { get; init; }

    /// <summary>How long past its <c>expiresAt</c> a ring may still be listed (timers fire a little late on a loaded machine).</summary>
    public TimeSpan RingExpirySlack { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Every room readable at the end, by id.</summary>
    public required IReadOnlyDictionary<string, RoomSnapshot> Rooms { get; init; }

    /// <summary>Every simulated user's own view of their call (null: in none).</summary>
    public required IReadOnlyDictionary<string, ActiveCallFact?> ActiveCalls { get; init; }

    public required IReadOnlyList<DeviceLiveness> Devices { get; init; }

    /// <summary>Each readable DM's call history, newest first.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<CallRecordFact>> History { get; init; }

    /// <summary>Every call id seen per DM: in events, join answers and presence reads.</summary>
    public required IReadOnlyDictionary<string, IReadOnlySet<string>> CallIdsSeen { get; init; }

    public required IReadOnlyList<ObservedEvent> Events { get; init; }

    public required IReadOnlyList<OperationRecord> Operations { get; init; }

    public required IReadOnlyList<VersionRegression> Regressions { get; init; }

    public required IReadOnlyList<DeviceFinalView> DeviceViews { get; init; }

    /// <summary>
    /// Room and user pairs whose membership was changed by a request without a clear answer (a 503 or a
    /// broken connection): such a change may have landed without the user's devices being told, so those
    /// devices are not held to know the room.
    /// </summary>
    public IReadOnlySet<(string RoomId, string UserId)> UncertainMemberships { get; init; } = new HashSet<(string, string)>();
}

/// <summary>What the checker found: the violations, and how much it compared.</summary>
public sealed record CheckResult(IReadOnlyList<Violation> Violations, IReadOnlyDictionary<string, int> Checked)
{
    public bool Passed => Violations.Count == 0;
}
