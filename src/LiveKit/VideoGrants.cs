using System.Text.Json;
using System.Text.Json.Serialization;

namespace DmVoice.LiveKit;

/// <summary>
/// The <c>video</c> claim of a LiveKit token. Property names are LiveKit's JSON claim names; null means
/// "not set" and is omitted, which matters because LiveKit applies defaults to absent permissions
/// (e.g. canPublish/canSubscribe default to true when neither is present).
/// </summary>
public sealed record VideoGrants
{
    [JsonPropertyName("roomCreate")]
    public bool? RoomCreate { get; init; }

    [JsonPropertyName("roomList")]
    public bool? RoomList { get; init; }

    [JsonPropertyName("roomRecord")]
    public bool? RoomRecord { get; init; }

    [JsonPropertyName("roomAdmin")]
    public bool? RoomAdmin { get; init; }

    [JsonPropertyName("roomJoin")]
    public bool? RoomJoin { get; init; }

    /// <summary>Room the join/admin permission applies to.</summary>
    [JsonPropertyName("room")]
    public string? Room { get; init; }

    [JsonPropertyName("canPublish")]
    public bool? CanPublish { get; init; }

    [JsonPropertyName("canSubscribe")]
    public bool? CanSubscribe { get; init; }

    [JsonPropertyName("canPublishData")]
    public bool? CanPublishData { get; init; }

    /// <summary>When set, only these sources may be published (serialized as "microphone", "camera", …).</summary>
    [JsonPropertyName("canPublishSources")]
    public IReadOnlyList<TrackSource>? CanPublishSources { get; init; }

    [JsonPropertyName("canUpdateOwnMetadata")]
    public bool? CanUpdateOwnMetadata { get; init; }

    [JsonPropertyName("ingressAdmin")]
    public bool? IngressAdmin { get; init; }

    [JsonPropertyName("hidden")]
    public bool? Hidden { get; init; }

    [JsonPropertyName("recorder")]
    public bool? Recorder { get; init; }

    [JsonPropertyName("agent")]
    public bool? Agent { get; init; }

    /// <summary>Overlays the non-null values of <paramref name="other"/>, like the node SDK's addGrant spread.</summary>
    public VideoGrants MergeWith(VideoGrants other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new VideoGrants
        {
            RoomCreate = other.RoomCreate ?? RoomCreate,
            RoomList = other.RoomList ?? RoomList,
            RoomRecord = other.RoomRecord ?? RoomRecord,
            RoomAdmin = other.RoomAdmin ?? RoomAdmin,
            RoomJoin = other.RoomJoin ?? RoomJoin,
            Room = other.Room ?? Room,
            CanPublish = other.CanPublish ?? CanPublish,
            CanSubscribe = other.CanSubscribe ?? CanSubscribe,
            CanPublishData = other.CanPublishData ?? CanPublishData,
            CanPublishSources = other.CanPublishSources ?? CanPublishSources,
            CanUpdateOwnMetadata = other.CanUpdateOwnMetadata ?? CanUpdateOwnMetadata,
            IngressAdmin = other.IngressAdmin ?? IngressAdmin,
            Hidden = other.Hidden ?? Hidden,
            Recorder = other.Recorder ?? Recorder,
            Agent = other.Agent ?? Agent,
        };
    }

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new TrackSourceClaimConverter() },
    };
}

/// <summary>LiveKit's livekit.TrackSource enum (proto numbers).</summary>
public enum TrackSource
{
    Unknown = 0,
    Camera = 1,
    Microphone = 2,
    ScreenShare = 3,
    ScreenShareAudio = 4,
}

/// <summary>
/// In token claims LiveKit writes track sources as lower snake_case strings ("screen_share"), not as the
/// proto enum names used elsewhere. Reading also accepts proto names and numbers.
/// </summary>
internal sealed class TrackSourceClaimConverter : JsonConverter<TrackSource>
{
    public override TrackSource Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number))
        {
            return Enum.IsDefined((TrackSource)number) ? (TrackSource)number : TrackSource.Unknown;
        }

        return ProtoEnum.Parse(reader.GetString(), TrackSource.Unknown);
    }

    public override void Write(Utf8JsonWriter writer, TrackSource value, JsonSerializerOptions options) =>
        writer.WriteStringValue(ToClaimString(value));

    public static string ToClaimString(TrackSource value) => value switch
    {
        TrackSource.Camera => "camera",
        TrackSource.Microphone => "microphone",
        TrackSource.ScreenShare => "screen_share",
        TrackSource.ScreenShareAudio => "screen_share_audio",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "LiveKit has no claim name for this track source."),
    };
}
