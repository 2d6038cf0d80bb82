using Microsoft.Extensions.Options;

namespace DmVoice.LiveKit;

/// <summary>Issues the join tokens DmVoice hands to clients.</summary>
public interface ILiveKitTokenIssuer
{
    /// <summary>URL clients connect to (as configured; clients accept http(s) and ws(s)).</summary>
    string ServerUrl { get; }

    /// <summary>
    /// A token to join <paramref name="room"/> as <paramref name="identity"/>, allowed to subscribe, send data
    /// and publish only <paramref name="canPublishSources"/> (default: microphone, camera, screen share + audio).
    /// </summary>
    string CreateJoinToken(string room, string identity, string? name = null, IReadOnlyList<TrackSource>? canPublishSources = null);
}

public sealed class LiveKitTokenIssuer : ILiveKitTokenIssuer
{
    private static readonly TrackSource[] AllSources =
        [TrackSource.Microphone, TrackSource.Camera, TrackSource.ScreenShare, TrackSource.ScreenShareAudio];

    private readonly LiveKitOptions _options;
    private readonly TimeProvider _timeProvider;

    public LiveKitTokenIssuer(IOptions<LiveKitOptions> options, TimeProvider? timeProvider = null)
        : this(options.Value, timeProvider)
    {
    }

    public LiveKitTokenIssuer(LiveKitOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    public string ServerUrl => _options.Url;

    public string CreateJoinToken(string room, string identity, string? name = null, IReadOnlyList<TrackSource>? canPublishSources = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        ArgumentException.ThrowIfNullOrEmpty(identity);
        var sources = canPublishSources ?? AllSources;
        var token = new AccessToken(_options.ApiKey, _options.ApiSecret, _timeProvider)
        {
            Identity = identity,
            Name = name,
            Ttl = _options.TokenTtl,
        };
        token.AddGrant(new VideoGrants
        {
            RoomJoin = true,
            Room = room,
            CanSubscribe = true,
            CanPublishData = true,
            CanPublish = sources.Count > 0,
            CanPublishSources = sources,

            // Display names come from DmVoice, not from the client.
            CanUpdateOwnMetadata = false,
        });
        return token.ToJwt();
    }
}
