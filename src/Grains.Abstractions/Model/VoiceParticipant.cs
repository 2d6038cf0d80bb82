namespace DmVoice.Abstractions;

/// <summary>One person in a call, with the voice state every member sees live.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.VoiceParticipant")]
public sealed record VoiceParticipant(
    [property: Id(0)] string UserId,
    [property: Id(1)] string DisplayName,
    [property: Id(2)] bool IsMuted,
    [property: Id(3)] bool IsDeafened,
    [property: Id(4)] bool IsVideoEnabled,
    [property: Id(5)] bool IsScreenSharing,
    [property: Id(6)] DateTimeOffset JoinedAt)
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

/// <summary>What a user brings into a call.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.JoinRequest")]
public sealed record JoinRequest(
    [property: Id(0)] string DisplayName,
    [property: Id(1)] bool IsMuted = false,
    [property: Id(2)] bool IsVideoEnabled = false);

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
