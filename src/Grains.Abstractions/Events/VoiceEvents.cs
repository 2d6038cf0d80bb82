namespace DmVoice.Abstractions;

/// <summary>
/// A change to a DM's call, delivered to every member's user stream. <see cref="Version"/> is the
/// DM call's version after the change: it grows by one per change, so a client that sees a gap
/// re-fetches presence.
/// </summary>
[GenerateSerializer]
[Alias("DmVoice.VoiceEvent")]
public abstract record VoiceEvent
{
    [Id(0)] public required string DmGroupId { get; init; }
    [Id(1)] public required string CallId { get; init; }
    [Id(2)] public required long Version { get; init; }

    /// <summary>The client method name this event is delivered as (see <see cref="VoiceEventNames"/>).</summary>
    public abstract string EventName { get; }
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.CallStartedEvent")]
public sealed record CallStartedEvent : VoiceEvent
{
    [Id(0)] public required VoiceParticipant User { get; init; }
    [Id(1)] public required IReadOnlyList<RingingEntry> Ringing { get; init; }

    /// <summary>Members the call did not ring (busy, or rung too often by the caller lately).</summary>
    [Id(2)] public IReadOnlyList<NotRungEntry> NotRung { get; init; } = [];

    public override string EventName => VoiceEventNames.CallStarted;
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.UserJoinedEvent")]
public sealed record UserJoinedEvent : VoiceEvent
{
    [Id(0)] public required VoiceParticipant User { get; init; }

    public override string EventName => VoiceEventNames.UserJoined;
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.UserLeftEvent")]
public sealed record UserLeftEvent : VoiceEvent
{
    [Id(0)] public required string UserId { get; init; }

    /// <summary>One of <see cref="LeaveReasons"/>.</summary>
    [Id(1)] public required string Reason { get; init; }

    public override string EventName => VoiceEventNames.UserLeft;
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.UserUpdatedEvent")]
public sealed record UserUpdatedEvent : VoiceEvent
{
    [Id(0)] public required VoiceParticipant User { get; init; }

    public override string EventName => VoiceEventNames.UserUpdated;
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.CallEndedEvent")]
public sealed record CallEndedEvent : VoiceEvent
{
    /// <summary>One of <see cref="CallEndReasons"/>.</summary>
    [Id(0)] public required string Reason { get; init; }
    [Id(1)] public required long DurationMs { get; init; }

    /// <summary>The finished call's history record, so a chat service can post it into the DM.</summary>
    [Id(2)] public required CallRecord Record { get; init; }

    public override string EventName => VoiceEventNames.CallEnded;
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.RingStartedEvent")]
public sealed record RingStartedEvent : VoiceEvent
{
    [Id(0)] public required IReadOnlyList<RingingEntry> Ringing { get; init; }

    /// <summary>Members asked for but not rung (busy, or rung too often by the caller lately).</summary>
    [Id(1)] public IReadOnlyList<NotRungEntry> NotRung { get; init; } = [];

    /// <summary>The participant who rang again.</summary>
    [Id(2)] public string? RungBy { get; init; }

    public override string EventName => VoiceEventNames.RingStarted;
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.RingStoppedEvent")]
public sealed record RingStoppedEvent : VoiceEvent
{
    [Id(0)] public required string UserId { get; init; }
    [Id(1)] public required string RingId { get; init; }

    /// <summary>One of <see cref="RingOutcomes"/>.</summary>
    [Id(2)] public required string Outcome { get; init; }

    public override string EventName => VoiceEventNames.RingStopped;
}
