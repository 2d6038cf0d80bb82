using DmVoice.Gateway.Observability;
using Orleans.Streams;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// Streams delivery (<c>Cluster:EventDelivery=Streams</c>): one subscription to a user's Orleans
/// stream per gateway, shared by all of that user's connections here.
/// </summary>
public sealed partial class StreamEventSource(IClusterClient cluster, ILogger<StreamEventSource> logger) : IUserEventSource
{
    public async Task<IAsyncDisposable> SubscribeAsync(string userId, ConnectionRegistry registry)
    {
        var stream = cluster.GetStreamProvider(VoiceStreams.ProviderName).GetStream<VoiceEvent>(VoiceStreams.ForUser(userId));
        var handle = await stream.SubscribeAsync((voiceEvent, _) =>
        {
            registry.Deliver(voiceEvent, userId);
            return Task.CompletedTask;
        });
        return new Subscription(handle, userId, this);
    }

    private sealed class Subscription(StreamSubscriptionHandle<VoiceEvent> handle, string userId, StreamEventSource source) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await handle.UnsubscribeAsync();
            }
            catch (Exception ex)
            {
                source.LogUnsubscribeFailed(ex, userId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unsubscribing the event stream of {UserId} failed")]
    private partial void LogUnsubscribeFailed(Exception exception, string userId);
}
