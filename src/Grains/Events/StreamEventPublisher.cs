using Orleans.Streams;

namespace DmVoice.Grains.Events;

/// <summary>
/// Publishes each event on every recipient's Orleans stream (<c>Cluster:EventDelivery=Streams</c>).
/// Gateways subscribe once per connected user. Slower than direct delivery (an enqueue, a poll and a
/// delivery per recipient), but it is the way to plug in a durable stream provider.
/// </summary>
internal sealed class StreamEventPublisher(IStreamProvider provider) : IEventPublisher
{
    private readonly Dictionary<string, IAsyncStream<VoiceEvent>> _streams = new(StringComparer.Ordinal);

    public bool UsesRoutes => false;

    public bool SetRoutes(string userId, GatewayRoute[] routes) => false;

    public void ForgetRoutes(string userId) => _streams.Remove(userId);

    /// <summary>Each event reaches all recipients before the next one starts, so every user stream stays in order.</summary>
    public Task PublishAsync(VoiceEvent voiceEvent, string[] audience) =>
        audience.Length == 1
            ? StreamFor(audience[0]).OnNextAsync(voiceEvent)
            : Task.WhenAll(audience.Select(userId => StreamFor(userId).OnNextAsync(voiceEvent)));

    private IAsyncStream<VoiceEvent> StreamFor(string userId)
    {
        if (!_streams.TryGetValue(userId, out var stream))
        {
            stream = provider.GetStream<VoiceEvent>(VoiceStreams.ForUser(userId));
            _streams[userId] = stream;
        }

        return stream;
    }
}
