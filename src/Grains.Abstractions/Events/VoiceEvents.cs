namespace DmVoice.Abstractions;

/// <summary>
/// A change to a voice room (a DM's call or a voice channel), delivered to every member's devices.
/// <see cref="Version"/> is the room's version after the change: it grows by one per change, so a
/// client that sees a gap re-fetches presence.
/// </summary>
[GenerateSerializer]
[Alias("DmVoice.VoiceEvent")]
public abstract record VoiceEvent
{
    [Id(1)] public required string CallId { get; init; }
    [Id(2)] public required long Version { get; init; }

    /// <summary>The client method name this event is delivered as (see <see cref="VoiceEventNames"/>).</summary>
    public abstract string EventName { get; }
}

/// <summary>A change to a DM's call, for every member of the DM.</summary>
[GenerateSerializer]
[Alias("DmVoice.DmVoiceEvent")]
public abstract record DmVoiceEvent : VoiceEvent
{
    [Id(0)] public required string DmGroupId { get; init; }
}

/// <summary>A change to a voice channel (its voice, or the channel itself), for every member of the channel.</summary>
[GenerateSerializer]
[Alias("DmVoice.ChannelVoiceEvent")]
public abstract record ChannelVoiceEvent : VoiceEvent
{
    [Id(0)] public required string ChannelId { get; init; }
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.CallStartedEvent")]
public sealed record CallStartedEvent : DmVoiceEvent
{
    [Id(0)] public required VoiceParticipant User { get; init; }
    [Id(1)] public required IReadOnlyList<RingingEntry> Ringing { get; init; }

    /// <summary>Members the call did not ring (busy, or rung too often by the caller lately).</summary>
    [Id(2)] public IReadOnlyList<NotRungEntry> NotRung { get; init; } = [];

    public override string EventName => VoiceEventNames.CallStarted;
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.UserJoinedEvent")]
public sealed record UserJoinedEvent : DmVoiceEvent
{
    [Id(0)] public required VoiceParticipant User { get; init; }

    public override string EventName => VoiceEventNames.UserJoined;
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.UserLeftEvent")]
public sealed record UserLeftEvent : DmVoiceEvent
{
    [Id(0)] public required string UserId { get; init; }

    /// <summary>One of <see cref="LeaveReasons"/>.</summary>
    [Id(1)] public required string Reason { get; init; }

    public override string EventName => VoiceEventNames.UserLeft;
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.UserUpdatedEvent")]
public sealed record UserUpdatedEvent : DmVoiceEvent
{
    [Id(0)] public required VoiceParticipant User { get; init; }

    public override string EventName => VoiceEventNames.UserUpdated;
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.CallEndedEvent")]
public sealed record CallEndedEvent : DmVoiceEvent
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
public sealed record RingStartedEvent : DmVoiceEvent
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
public sealed record RingStoppedEvent : DmVoiceEvent
{
    [Id(0)] public required string UserId { get; init; }
    [Id(1)] public required string RingId { get; init; }

    /// <summary>One of <see cref="RingOutcomes"/>.</summary>
    [Id(2)] public required string Outcome { get; init; }

    public override string EventName => VoiceEventNames.RingStopped;
}

/// <summary>
/// The user's seat in the DM's call moved to another of their devices (<see cref="DeviceId"/>). Sent to
/// the user's own devices instead of <see cref="UserUpdatedEvent"/>, with the same version: the device
/// that held the seat drops its media and shows that the call goes on elsewhere.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.SessionMovedEvent")]
public sealed record SessionMovedEvent : DmVoiceEvent
{
    /// <summary>The participant as they are now, on the new device.</summary>
    [Id(0)] public required VoiceParticipant User { get; init; }

    /// <summary>The device that holds the seat now.</summary>
    [Id(1)] public required string DeviceId { get; init; }

    /// <summary>The device that held it until now (null: a join that named none).</summary>
    [Id(2)] public string? PreviousDeviceId { get; init; }

    public override string EventName => VoiceEventNames.SessionMoved;
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.ChannelUserJoinedEvent")]
public sealed record ChannelUserJoinedEvent : ChannelVoiceEvent
{
    [Id(0)] public required VoiceParticipant User { get; init; }

    public override string EventName => VoiceEventNames.ChannelUserJoined;
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.ChannelUserLeftEvent")]
public sealed record ChannelUserLeftEvent : ChannelVoiceEvent
{
    [Id(0)] public required string UserId { get; init; }

    /// <summary>One of <see cref="LeaveReasons"/>.</summary>
    [Id(1)] public required string Reason { get; init; }

    public override string EventName => VoiceEventNames.ChannelUserLeft;
}

[GenerateSerializer, Immutable]
[Alias("DmVoice.ChannelUserUpdatedEvent")]
public sealed record ChannelUserUpdatedEvent : ChannelVoiceEvent
{
    [Id(0)] public required VoiceParticipant User { get; init; }

    public override string EventName => VoiceEventNames.ChannelUserUpdated;
}

/// <summary>The channel counterpart of <see cref="SessionMovedEvent"/>.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.ChannelSessionMovedEvent")]
public sealed record ChannelSessionMovedEvent : ChannelVoiceEvent
{
    [Id(0)] public required VoiceParticipant User { get; init; }
    [Id(1)] public required string DeviceId { get; init; }
    [Id(2)] public string? PreviousDeviceId { get; init; }

    public override string EventName => VoiceEventNames.ChannelSessionMoved;
}

/// <summary>
/// The channel itself changed: created, renamed, its user limit changed, or a member given or taken
/// access. Sent to every member (the newly given access included), so channel lists and member lists
/// update live. It takes the next channel <see cref="VoiceEvent.Version"/>, the same sequence as the
/// channel's voice events, so a client sees one ordered stream per channel. <see cref="VoiceEvent.CallId"/>
/// is the live voice session's id, or empty while the channel's voice is not live.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.ChannelUpdatedEvent")]
public sealed record ChannelUpdatedEvent : ChannelVoiceEvent
{
    /// <summary>The channel as <c>GET /voice-channels/{id}</c> returns it after the change.</summary>
    [Id(0)] public required VoiceChannel Channel { get; init; }

    public override string EventName => VoiceEventNames.ChannelUpdated;
}

/// <summary>
/// The channel is gone for the recipients: deleted (every member), or their access was taken away or
/// given up (that user alone, under the same version as the others' <see cref="ChannelUpdatedEvent"/>).
/// The last event they receive from it.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.ChannelRemovedEvent")]
public sealed record ChannelRemovedEvent : ChannelVoiceEvent
{
    /// <summary>One of <see cref="ChannelRemovedReasons"/>.</summary>
    [Id(0)] public required string Reason { get; init; }

    public override string EventName => VoiceEventNames.ChannelRemoved;
}

/// <summary>
/// The recipient was invited to a voice channel (sent to the invited user's devices only). They are not a
/// member until they accept; the channel's voice events do not reach them meanwhile.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.ChannelInvitedEvent")]
public sealed record ChannelInvitedEvent : ChannelVoiceEvent
{
    [Id(0)] public required ChannelInvite Invite { get; init; }

    public override string EventName => VoiceEventNames.ChannelInvited;
}

/// <summary>
/// An invite the recipient had is gone without their accepting it (sent to the invited user's devices only):
/// they declined it (on another device), the owner withdrew it, or the channel was deleted.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.ChannelInviteRemovedEvent")]
public sealed record ChannelInviteRemovedEvent : ChannelVoiceEvent
{
    /// <summary>One of <see cref="ChannelInviteRemovedReasons"/>.</summary>
    [Id(0)] public required string Reason { get; init; }

    public override string EventName => VoiceEventNames.ChannelInviteRemoved;
}

/// <summary>Why an invite went (<see cref="ChannelInviteRemovedEvent.Reason"/>).</summary>
public static class ChannelInviteRemovedReasons
{
    public const string Declined = "declined";
    public const string Withdrawn = "withdrawn";
    public const string Deleted = "deleted";
}

/// <summary>Why a channel left a user's list (<see cref="ChannelRemovedEvent.Reason"/>).</summary>
public static class ChannelRemovedReasons
{
    /// <summary>The owner deleted the channel.</summary>
    public const string Deleted = "deleted";

    /// <summary>The owner took the user's access away, or the user gave it up.</summary>
    public const string AccessRemoved = "access_removed";
}
