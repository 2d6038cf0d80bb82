using System.Collections.Concurrent;
using DmVoice.Grains.Events;
using DmVoice.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// One device of a user, held by a gateway of its own, as a real gateway would hold it: it takes a
/// lease, registers the device with the user's grain, and records the events that reach it, pushed
/// to it as the gateway's observer (direct delivery) or through the user's stream (streams), in the
/// cluster's delivery mode. While it is open the user has a live device.
/// </summary>
public sealed class EventRecorder : IGatewayObserver, IAsyncDisposable
{
    private readonly ConcurrentQueue<VoiceEvent> _events = new();
    private readonly IClusterClient _client;
    private readonly string _gatewayId = "test-gw-" + Guid.NewGuid().ToString("N")[..12];
    private IGatewayObserver? _observer;
    private StreamSubscriptionHandle<VoiceEvent>? _subscription;

    private readonly DeliveryOrdering _ordering;

    private EventRecorder(IClusterClient client, string userId)
    {
        _client = client;
        UserId = userId;
        _ordering = new DeliveryOrdering(
            delivery =>
            {
                if (delivery.UserIds.Contains(UserId))
                {
                    _events.Enqueue(delivery.Event);
                }
            },
            TimeProvider.System);
    }

    public string UserId { get; }

    public IReadOnlyList<VoiceEvent> Events => _events.ToArray();

    private string ConnectionKey => _gatewayId + ":device";

    public static async Task<EventRecorder> SubscribeAsync(IClusterClient client, string userId)
    {
        var recorder = new EventRecorder(client, userId);
        var streams = client.ServiceProvider.GetService<IOptions<DmVoiceClusterOptions>>()?.Value.UsesStreams == true;
        if (streams)
        {
            var stream = client.GetStreamProvider(VoiceStreams.ProviderName).GetStream<VoiceEvent>(VoiceStreams.ForUser(userId));
            recorder._subscription = await stream.SubscribeAsync((voiceEvent, _) =>
            {
                recorder._events.Enqueue(voiceEvent);
                return Task.CompletedTask;
            });
        }

        recorder._observer = client.CreateObjectReference<IGatewayObserver>(recorder);
        await client.GetGrain<IGatewayLeaseGrain>(recorder._gatewayId).Renew(TimeSpan.FromMinutes(10), continuing: false);
        await client.GetGrain<IUserVoiceGrain>(userId).ConnectionOpened(recorder.ConnectionKey, new GatewayRoute(recorder._gatewayId, recorder._observer));
        return recorder;
    }

    Task IGatewayObserver.Deliver(EventDelivery delivery)
    {
        if (_subscription is null)
        {
            _ordering.Receive(delivery);
        }

        return Task.CompletedTask;
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

    /// <summary>The RingStopped events this device saw for one recipient in one DM, in arrival order.</summary>
    public RingStoppedEvent[] RingStops(string dmGroupId, string recipientId) =>
        OfType<RingStoppedEvent>().Where(e => e.DmGroupId == dmGroupId && e.UserId == recipientId).ToArray();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _client.GetGrain<IUserVoiceGrain>(UserId).ConnectionClosed(ConnectionKey);
            if (_subscription is not null)
            {
                await _subscription.UnsubscribeAsync();
            }
        }
        finally
        {
            _ordering.Dispose();
            if (_observer is not null)
            {
                _client.DeleteObjectReference<IGatewayObserver>(_observer);
            }
        }
    }
}
