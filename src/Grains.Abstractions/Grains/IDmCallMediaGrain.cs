namespace DmVoice.Abstractions;

/// <summary>What LiveKit tells a DM's call (key: DM group id; the same activation as <see cref="IDmCallGrain"/>).</summary>
[Alias("DmVoice.IDmCallMediaGrain")]
public interface IDmCallMediaGrain : IVoiceRoomMediaGrain;

/// <summary>
/// What LiveKit tells a voice room, a DM's call or a voice channel. Every method ignores news that is
/// older than the room state it would change: LiveKit's webhooks and listings can arrive late, and a
/// stale "left" or "room finished" must not undo a newer join or call.
/// </summary>
[Alias("DmVoice.IVoiceRoomMediaGrain")]
public interface IVoiceRoomMediaGrain : IGrainWithStringKey
{
    /// <summary>
    /// The user's media left the room: they leave the call as <c>disconnected</c>, unless they joined the
    /// call after that media session began (the event is about an earlier session). Returns whether they left.
    /// </summary>
    [Alias("MediaLeft")]
    Task<bool> MediaLeft(string userId, DateTimeOffset? mediaJoinedAt);

    /// <summary>
    /// A user's media joined the room (LiveKit's <c>participant_joined</c>): whether to join them to the call
    /// (through their user grain). The room holds only participants: for a non-member, or a member who left
    /// the call after this media session began, the answer comes with a stored RemoveParticipant owed to
    /// LiveKit, so their media goes too.
    /// </summary>
    [Alias("MediaJoined")]
    Task<MediaJoinCheck> MediaJoined(string userId, DateTimeOffset? mediaJoinedAt);

    /// <summary>
    /// The room closed: the live call ends (<c>room_finished</c>), unless it started well after that room was
    /// created (the event is about the room of an earlier call). Returns whether a call ended.
    /// </summary>
    [Alias("RoomFinished")]
    Task<bool> RoomFinished(DateTimeOffset? roomCreatedAt);

    /// <summary>The sweep's reconciliation with a fresh ListParticipants, run as an ordinary grain turn.</summary>
    [Alias("ReconcileMedia")]
    Task ReconcileMedia(string callId, IReadOnlyList<MediaParticipant> inRoom);

    /// <summary>
    /// What came of sending the RoomService commands this DM owed LiveKit, applied (and stored) as an
    /// ordinary grain turn. Called by the grain's own sender.
    /// </summary>
    [Alias("MediaCommandsSent")]
    Task MediaCommandsSent(IReadOnlyList<MediaCommandAttempt> attempts);
}

/// <summary>The answer of <see cref="IVoiceRoomMediaGrain.MediaJoined"/>.</summary>
[GenerateSerializer]
[Alias("DmVoice.MediaJoinCheck")]
public enum MediaJoinCheck
{
    /// <summary>A member not in the call: join them.</summary>
    Join,

    /// <summary>Already a participant.</summary>
    AlreadyInCall,

    /// <summary>Not a member of the DM or channel (or it does not exist): removed from the room.</summary>
    NotMember,

    /// <summary>They left the call after this media session began: the session is a leftover, removed from the room.</summary>
    LeftSince,

    /// <summary>A member not in the call, but the room has no seat left (a channel at its user limit): removed from the room.</summary>
    Full,
}

/// <summary>A participant of the LiveKit room as ListParticipants reports it.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.MediaParticipant")]
public sealed record MediaParticipant(
    [property: Id(0)] string Identity,
    [property: Id(1)] string? Name,
    [property: Id(2)] DateTimeOffset? JoinedAt);

/// <summary>What came of sending one RoomService command a grain owed LiveKit.</summary>
[GenerateSerializer, Immutable]
[Alias("DmVoice.MediaCommandAttempt")]
public sealed record MediaCommandAttempt(
    [property: Id(0)] Guid Id,
    [property: Id(1)] MediaCommandOutcome Outcome,
    [property: Id(2)] string? Error);

[GenerateSerializer]
[Alias("DmVoice.MediaCommandOutcome")]
public enum MediaCommandOutcome
{
    Done,

    /// <summary>LiveKit unreachable or overloaded: worth trying again.</summary>
    Retry,

    /// <summary>LiveKit refused the request (bad credentials, a malformed call): trying again would not help.</summary>
    Refused,
}
