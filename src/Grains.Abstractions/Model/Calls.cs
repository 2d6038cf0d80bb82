namespace DmVoice.Abstractions;

/// <summary>
/// Where a user's one active call is: a DM's call (<see cref="CallKinds.Dm"/>) or a voice channel
/// (<see cref="CallKinds.Channel"/>). The one-call rule holds across both kinds.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.CallContext")]
public sealed record CallContext(
    [property: Id(0)] string Kind,
    [property: Id(1)] string Id)
{
    public static CallContext Dm(string dmGroupId) => new(CallKinds.Dm, dmGroupId);

    public static CallContext Channel(string channelId) => new(CallKinds.Channel, channelId);
}

public static class CallKinds
{
    public const string Dm = "dm";
    public const string Channel = "channel";
}

/// <summary>A recipient being rung: every device of the user rings until <c>ExpiresAt</c>.</summary>
/// <param name="Silent">
/// Ring without sound and without a push notification: the recipient is on do-not-disturb or muted
/// this DM. The ring still shows, can be answered and ends as any other.
/// </param>
[GenerateSerializer, Immutable]
[Alias("DmVoice.RingingEntry")]
public sealed record RingingEntry(
    [property: Id(0)] string UserId,
    [property: Id(1)] string RingId,
    [property: Id(2)] DateTimeOffset ExpiresAt,
    [property: Id(3)] bool Silent = false);

/// <summary>A member the call did not ring, and why (one of <see cref="NotRungReasons"/>).</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.NotRungEntry")]
public sealed record NotRungEntry(
    [property: Id(0)] string UserId,
    [property: Id(1)] string Reason);

/// <summary>Why a member was not rung (the <c>reason</c> of a <c>notRung</c> entry).</summary>
public static class NotRungReasons
{
    /// <summary>In another call.</summary>
    public const string Busy = "busy";

    /// <summary>The caller rang this member too often lately (per caller and recipient, a minute and an hour).</summary>
    public const string RateLimited = "rate_limited";
}

/// <summary>The answer to a re-ring: who rings now, and who was not rung and why.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.RingResult")]
public sealed record RingResult(
    [property: Id(0)] IReadOnlyList<RingingEntry> Ringing,
    [property: Id(1)] IReadOnlyList<NotRungEntry> NotRung);

/// <summary>
/// Who is in a DM's call and who is being rung. <c>CallId</c> is null when no call is live. <c>Statuses</c>
/// (user id → what others see of their status) covers the participants and the ringing; the gateway adds
/// it, the call does not keep it.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.CallPresence")]
public sealed record CallPresence(
    [property: Id(0)] string DmGroupId,
    [property: Id(1)] string? CallId,
    [property: Id(2)] DateTimeOffset? StartedAt,
    [property: Id(3)] string? StartedBy,
    [property: Id(4)] IReadOnlyList<VoiceParticipant> Participants,
    [property: Id(5)] IReadOnlyList<RingingEntry> Ringing,
    [property: Id(6)] long Version,
    [property: Id(7)] IReadOnlyDictionary<string, string>? Statuses = null);

/// <summary>How one member took part in a finished call.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.MemberOutcome")]
public sealed record MemberOutcome(
    [property: Id(0)] string UserId,
    [property: Id(1)] string Outcome);

/// <summary>The history record a finished call leaves behind.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.CallRecord")]
public sealed record CallRecord(
    [property: Id(0)] string CallId,
    [property: Id(1)] string DmGroupId,
    [property: Id(2)] string StartedBy,
    [property: Id(3)] DateTimeOffset StartedAt,
    [property: Id(4)] DateTimeOffset EndedAt,
    [property: Id(5)] long DurationMs,
    [property: Id(6)] string EndReason,
    [property: Id(7)] IReadOnlyList<string> Participants,
    [property: Id(8)] IReadOnlyList<MemberOutcome> Outcomes);

/// <summary>
/// What a client needs after it (re)connects: its own call (and which of its devices holds the seat),
/// every live call in its DMs and every live voice channel it may enter.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.MyVoiceOverview")]
public sealed record MyVoiceOverview(
    [property: Id(0)] ActiveCall? ActiveCall,
    [property: Id(1)] IReadOnlyList<CallPresence> LiveCalls,
    [property: Id(2)] IReadOnlyList<ChannelPresence> LiveChannels);

/// <summary>
/// The user's one call: its kind (<c>dm</c> or <c>channel</c>) and id, and the device that holds the seat
/// (null when the join named none) with its kind.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.ActiveCall")]
public sealed record ActiveCall(
    [property: Id(0)] string Kind,
    [property: Id(1)] string Id,
    [property: Id(2)] string? DeviceId,
    [property: Id(3)] string? DeviceKind);

/// <summary>
/// A user's seat as a room stored it: the user grain's join counter of the join that took it last, and
/// the device holding it (null when that join named none).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.HeldSeat")]
public sealed record HeldSeat(
    [property: Id(0)] long Session,
    [property: Id(1)] string? DeviceId,
    [property: Id(2)] string? DeviceKind);

/// <summary>Where the user's seat is, as their user grain knows it.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.VoiceSeat")]
public sealed record VoiceSeat(
    [property: Id(0)] CallContext Call,
    [property: Id(1)] string? DeviceId,
    [property: Id(2)] string? DeviceKind);
