using System.Text.Json;

namespace DmVoice.LiveKit;

/// <summary>livekit.DisconnectReason (proto numbers). Webhooks send it as the proto name, e.g. "CLIENT_INITIATED".</summary>
public enum DisconnectReason
{
    UnknownReason = 0,
    ClientInitiated = 1,
    DuplicateIdentity = 2,
    ServerShutdown = 3,
    ParticipantRemoved = 4,
    RoomDeleted = 5,
    StateMismatch = 6,
    JoinFailure = 7,
    Migration = 8,
    SignalClose = 9,
    RoomClosed = 10,
    UserUnavailable = 11,
    UserRejected = 12,
    SipTrunkFailure = 13,
    ConnectionTimeout = 14,
    MediaFailure = 15,
    AgentError = 16,
}

/// <summary>livekit.ParticipantInfo.State.</summary>
public enum ParticipantInfoState
{
    Joining = 0,
    Joined = 1,
    Active = 2,
    Disconnected = 3,
}

/// <summary>livekit.ParticipantInfo.Kind.</summary>
public enum ParticipantKind
{
    Standard = 0,
    Ingress = 1,
    Egress = 2,
    Sip = 3,
    Agent = 4,
}

/// <summary>livekit.TrackType.</summary>
public enum TrackType
{
    Audio = 0,
    Video = 1,
    Data = 2,
}

/// <summary>The parts of livekit.Room that DmVoice uses.</summary>
public sealed record Room
{
    public string Sid { get; init; } = string.Empty;

    public string Name { get; init; } = string.Empty;

    public string Metadata { get; init; } = string.Empty;

    public int NumParticipants { get; init; }

    public int MaxParticipants { get; init; }

    public int EmptyTimeout { get; init; }

    public DateTimeOffset? CreationTime { get; init; }

    internal static Room FromJson(JsonElement e) => new()
    {
        Sid = ProtoJson.GetString(e, "sid") ?? string.Empty,
        Name = ProtoJson.GetString(e, "name") ?? string.Empty,
        Metadata = ProtoJson.GetString(e, "metadata") ?? string.Empty,
        NumParticipants = (int)ProtoJson.GetInt64(e, "num_participants"),
        MaxParticipants = (int)ProtoJson.GetInt64(e, "max_participants"),
        EmptyTimeout = (int)ProtoJson.GetInt64(e, "empty_timeout"),
        CreationTime = ProtoJson.FromUnixSeconds(ProtoJson.GetInt64(e, "creation_time")),
    };
}

/// <summary>The parts of livekit.TrackInfo that DmVoice uses.</summary>
public sealed record TrackInfo
{
    public string Sid { get; init; } = string.Empty;

    public TrackType Type { get; init; }

    public TrackSource Source { get; init; }

    public string Name { get; init; } = string.Empty;

    public bool Muted { get; init; }

    internal static TrackInfo FromJson(JsonElement e) => new()
    {
        Sid = ProtoJson.GetString(e, "sid") ?? string.Empty,
        Type = ProtoJson.GetEnum(e, "type", TrackType.Audio),
        Source = ProtoJson.GetEnum(e, "source", TrackSource.Unknown),
        Name = ProtoJson.GetString(e, "name") ?? string.Empty,
        Muted = ProtoJson.GetBool(e, "muted"),
    };
}

/// <summary>The parts of livekit.ParticipantInfo that DmVoice uses.</summary>
public sealed record ParticipantInfo
{
    public string Sid { get; init; } = string.Empty;

    /// <summary>The token's <c>sub</c>; in DmVoice the user id.</summary>
    public string Identity { get; init; } = string.Empty;

    public string Name { get; init; } = string.Empty;

    public ParticipantInfoState State { get; init; }

    public string Metadata { get; init; } = string.Empty;

    public DateTimeOffset? JoinedAt { get; init; }

    public ParticipantKind Kind { get; init; }

    public bool IsPublisher { get; init; }

    /// <summary>Only meaningful in participant_left webhooks; UnknownReason when LiveKit omitted it.</summary>
    public DisconnectReason DisconnectReason { get; init; }

    public IReadOnlyList<TrackInfo> Tracks { get; init; } = [];

    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();

    internal static ParticipantInfo FromJson(JsonElement e) => new()
    {
        Sid = ProtoJson.GetString(e, "sid") ?? string.Empty,
        Identity = ProtoJson.GetString(e, "identity") ?? string.Empty,
        Name = ProtoJson.GetString(e, "name") ?? string.Empty,
        State = ProtoJson.GetEnum(e, "state", ParticipantInfoState.Joining),
        Metadata = ProtoJson.GetString(e, "metadata") ?? string.Empty,
        JoinedAt = ProtoJson.FromUnixSeconds(ProtoJson.GetInt64(e, "joined_at")),
        Kind = ProtoJson.GetEnum(e, "kind", ParticipantKind.Standard),
        IsPublisher = ProtoJson.GetBool(e, "is_publisher"),
        DisconnectReason = ProtoJson.GetEnum(e, "disconnect_reason", DisconnectReason.UnknownReason),
        Tracks = ProtoJson.GetArray(e, "tracks").Select(TrackInfo.FromJson).ToArray(),
        Attributes = ProtoJson.GetStringMap(e, "attributes"),
    };
}

/// <summary>Webhook event names LiveKit sends (the <c>event</c> field).</summary>
public static class WebhookEventNames
{
    public const string RoomStarted = "room_started";
    public const string RoomFinished = "room_finished";
    public const string ParticipantJoined = "participant_joined";
    public const string ParticipantLeft = "participant_left";
    public const string ParticipantConnectionAborted = "participant_connection_aborted";
    public const string TrackPublished = "track_published";
    public const string TrackUnpublished = "track_unpublished";
    public const string EgressStarted = "egress_started";
    public const string EgressUpdated = "egress_updated";
    public const string EgressEnded = "egress_ended";
    public const string IngressStarted = "ingress_started";
    public const string IngressEnded = "ingress_ended";
}

/// <summary>A verified LiveKit webhook (livekit.WebhookEvent).</summary>
public sealed record WebhookEvent
{
    /// <summary>Unique event id; LiveKit may redeliver, so handlers can de-duplicate on it.</summary>
    public string Id { get; init; } = string.Empty;

    /// <summary>One of <see cref="WebhookEventNames"/>.</summary>
    public string Event { get; init; } = string.Empty;

    public DateTimeOffset? CreatedAt { get; init; }

    public Room? Room { get; init; }

    public ParticipantInfo? Participant { get; init; }

    public TrackInfo? Track { get; init; }

    /// <summary>LiveKit puts the reason on the participant (<c>participant.disconnectReason</c>), not on the event.</summary>
    public DisconnectReason DisconnectReason => Participant?.DisconnectReason ?? DisconnectReason.UnknownReason;

    internal static WebhookEvent FromJson(JsonElement e) => new()
    {
        Id = ProtoJson.GetString(e, "id") ?? string.Empty,
        Event = ProtoJson.GetString(e, "event") ?? string.Empty,
        CreatedAt = ProtoJson.FromUnixSeconds(ProtoJson.GetInt64(e, "created_at")),
        Room = ProtoJson.TryGet(e, "room", out var room) && room.ValueKind == JsonValueKind.Object ? Room.FromJson(room) : null,
        Participant = ProtoJson.TryGet(e, "participant", out var p) && p.ValueKind == JsonValueKind.Object ? ParticipantInfo.FromJson(p) : null,
        Track = ProtoJson.TryGet(e, "track", out var t) && t.ValueKind == JsonValueKind.Object ? TrackInfo.FromJson(t) : null,
    };
}
