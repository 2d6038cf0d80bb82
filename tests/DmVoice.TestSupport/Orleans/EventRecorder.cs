using DmVoice.Abstractions;
using System.Collections.Concurrent;
using Orleans.Streams;

namespace DmVoice.TestSupport.Orleans;

/// <summary>Subscribes to one user's event stream, as a gateway does, and records what arrives.</summary>
public sealed class EventRecorder : IAsyncDisposable
{
    private readonly ConcurrentQueue<VoiceEvent> _events = new();
    private StreamSubscriptionHandle<VoiceEvent>? _handle;

    private EventRecorder(string userId) => UserId = userId;

    public string UserId { get; }

    public IReadOnlyList<VoiceEvent> Events => _events.ToArray();

    public static async Task<EventRecorder> SubscribeAsync(IClusterClient client, string userId)
    {
        var recorder = new EventRecorder(userId);
        var stream = client.GetStreamProvider(VoiceStreams.ProviderName).GetStream<VoiceEvent>(VoiceStreams.ForUser(userId));
        recorder._handle = await stream.SubscribeAsync((evt, _) =>
        {
            recorder._events.Enqueue(evt);
            return Task.CompletedTask;
        });
        return recorder;
    }

    public async Task<T> WaitForAsync<T>(Func<T, bool>? match = null, TimeSpan? timeout = null)
        where T : VoiceEvent
    {
        T? found = null;
        await Eventually.TrueAsync(
            () => (found = _events.OfType<T>().FirstOrDefault(e => match is null || match(e))) is not null,
            $"{typeof(T).Name} for {UserId}",
            timeout);
        return found!;
    }

    public IReadOnlyList<T> OfType<T>() where T : VoiceEvent => _events.OfType<T>().ToArray();

    public async ValueTask DisposeAsync()
    {
        if (_handle is not null)
        {
            await _handle.UnsubscribeAsync();
        }
    }
}
