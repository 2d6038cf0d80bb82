namespace DmVoice.Abstractions;

/// <summary>
/// One person in a call, with the voice state every member sees live, and the kind of device they talk
/// from (<see cref="DeviceKinds"/>; null when the join did not say).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.VoiceParticipant")]
public sealed record VoiceParticipant(
    [property: Id(0)] string UserId,
    [property: Id(1)] string DisplayName,
    [property: Id(2)] bool IsMuted,
    [property: Id(3)] bool IsDeafened,
    [property: Id(4)] bool IsVideoEnabled,
    [property: Id(5)] bool IsScreenSharing,
    [property: Id(6)] DateTimeOffset JoinedAt,
    [property: Id(7)] string? DeviceKind = null)
{
    /// <summary>Applies only the fields the patch sets.</summary>
    public VoiceParticipant With(VoiceStatePatch patch) => this with
    {
        IsMuted = patch.IsMuted ?? IsMuted,
        IsDeafened = patch.IsDeafened ?? IsDeafened,
        IsVideoEnabled = patch.IsVideoEnabled ?? IsVideoEnabled,
        IsScreenSharing = patch.IsScreenSharing ?? IsScreenSharing,
    };
}

/// <summary>A partial voice-state update: null fields stay as they are.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.VoiceStatePatch")]
public sealed record VoiceStatePatch(
    [property: Id(0)] bool? IsMuted = null,
    [property: Id(1)] bool? IsDeafened = null,
    [property: Id(2)] bool? IsVideoEnabled = null,
    [property: Id(3)] bool? IsScreenSharing = null)
{
    public bool IsEmpty => IsMuted is null && IsDeafened is null && IsVideoEnabled is null && IsScreenSharing is null;
}

/// <summary>
/// What a user brings into a call: their name, initial voice state, and the device they join from
/// (<c>DeviceId</c>, the id the client also connects to the hub with; <c>DeviceKind</c>, one of
/// <see cref="DeviceKinds"/>). A join without a device holds the seat for whichever device is connected.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.JoinRequest")]
public sealed record JoinRequest(
    [property: Id(0)] string DisplayName,
    [property: Id(1)] bool IsMuted = false,
    [property: Id(2)] bool IsVideoEnabled = false,
    [property: Id(3)] string? DeviceId = null,
    [property: Id(4)] string? DeviceKind = null);

/// <summary>The kinds of device a participant may say they talk from.</summary>
public static class DeviceKinds
{
    public const string Desktop = "desktop";
    public const string Mobile = "mobile";
    public const string Web = "web";

    public static IReadOnlyList<string> All { get; } = [Desktop, Mobile, Web];

    /// <summary>Null stays null; anything but a known kind is <see cref="ErrorCodes.ValidationFailed"/>.</summary>
    public static string? Validate(string? kind, string field) =>
        kind is null || All.Contains(kind)
            ? kind
            : throw DmVoiceException.Validation($"'{field}' must be one of {string.Join(", ", All)}.");
}

/// <summary>The answer to a join: <c>CallStarted</c> is true for the first joiner, who rang the others.</summary>
/// <param name="NotRung">When the join started the call: members who were not rung, and why.</param>
[GenerateSerializer, Immutable]
[Alias("DmVoice.JoinResult")]
public sealed record JoinResult(
    [property: Id(0)] string DmGroupId,
    [property: Id(1)] string CallId,
    [property: Id(2)] bool CallStarted,
    [property: Id(3)] VoiceParticipant User,
    [property: Id(4)] long Version,
    [property: Id(5)] IReadOnlyList<NotRungEntry>? NotRung = null);

/// <summary>
/// A room's answer to a join, for either kind of room. <c>Started</c>: the join made the room live.
/// <c>SeatMoved</c>: the user was in already, on another device, and the seat moved to this one.
/// <c>NotRung</c>: for a join that started a DM's call, members who were not rung, and why.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.RoomJoin")]
public sealed record RoomJoin(
    [property: Id(0)] string CallId,
    [property: Id(1)] bool Started,
    [property: Id(2)] VoiceParticipant User,
    [property: Id(3)] long Version,
    [property: Id(4)] bool SeatMoved = false,
    [property: Id(5)] IReadOnlyList<NotRungEntry>? NotRung = null);
