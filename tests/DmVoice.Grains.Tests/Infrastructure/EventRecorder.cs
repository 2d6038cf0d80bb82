using System.Collections.Concurrent;
using DmVoice.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// One device of a user on a <see cref="TestGateway"/>, registered with the user's grain as a real
/// gateway registers a connection, recording the events that reach it: pushed to its gateway (direct
/// delivery) or through the user's stream (streams), in the cluster's delivery mode. While it is
/// open the user has a live device.
/// </summary>
public sealed class EventRecorder : IAsyncDisposable
{
    private readonly ConcurrentQueue<VoiceEvent> _events = new();
    private readonly ConcurrentDictionary<(string Name, string Room, long Version), bool> _seen = new();
    private int _repeats;
    private readonly TestGateway _gateway;
    private readonly bool _ownsGateway;
    private StreamSubscriptionHandle<VoiceEvent>? _subscription;

    private EventRecorder(TestGateway gateway, bool ownsGateway, string userId)
    {
        _gateway = gateway;
        _ownsGateway = ownsGateway;
        UserId = userId;
    }

    public string UserId { get; }

    public TestGateway Gateway => _gateway;

    public IReadOnlyList<VoiceEvent> Events => _events.ToArray();

    private string ConnectionKey => $"{_gateway.Id}:{UserId}";

    /// <param name="lease">The lease of the device's own gateway (see <see cref="TestGateway.StartAsync"/>).</param>
    /// <param name="deviceId">The device id the connection declares, as a hub client's <c>?deviceId=</c> does.</param>
    public static async Task<EventRecorder> SubscribeAsync(IClusterClient client, string userId, TimeSpan? lease = null, string? deviceId = null) =>
        await ConnectAsync(await TestGateway.StartAsync(client, lease), ownsGateway: true, userId, deviceId);

    /// <summary>A device of <paramref name="userId"/> on an existing gateway, beside other users' devices.</summary>
    public static Task<EventRecorder> ConnectAsync(TestGateway gateway, string userId) => ConnectAsync(gateway, ownsGateway: false, userId);

    private static async Task<EventRecorder> ConnectAsync(TestGateway gateway, bool ownsGateway, string userId, string? deviceId = null)
    {
        var client = gateway.Client;
        var recorder = new EventRecorder(gateway, ownsGateway, userId);
        var streams = client.ServiceProvider.GetService<IOptions<DmVoiceClusterOptions>>()?.Value.UsesStreams == true;
        if (streams)
        {
            var stream = client.GetStreamProvider(VoiceStreams.ProviderName).GetStream<VoiceEvent>(VoiceStreams.ForUser(userId));
            recorder._subscription = await stream.SubscribeAsync((voiceEvent, _) =>
            {
                recorder.Record(voiceEvent);
                return Task.CompletedTask;
            });
        }
        else
        {
            gateway.Attach(recorder);
        }

        gateway.Hold(recorder.ConnectionKey, userId);
        await client.GetGrain<IUserVoiceGrain>(userId).ConnectionOpened(recorder.ConnectionKey, gateway.Route, deviceId);
        return recorder;
    }

    /// <summary>
    /// Records an event once: one that arrives again (stream delivery repeats each member's latest event
    /// once) is counted in <see cref="Repeats"/> instead, as a client ignores a version it already applied.
    /// </summary>
    internal void Record(VoiceEvent voiceEvent)
    {
        var room = voiceEvent switch
        {
            DmVoiceEvent dm => dm.DmGroupId,
            ChannelVoiceEvent channel => channel.ChannelId,
            _ => string.Empty,
        };
        if (!_seen.TryAdd((voiceEvent.EventName, room, voiceEvent.Version), true))
        {
            Interlocked.Increment(ref _repeats);
            return;
        }

        _events.Enqueue(voiceEvent);
    }

    /// <summary>How many events arrived a second time and were not recorded again.</summary>
    public int Repeats => Volatile.Read(ref _repeats);

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

    /// <summary>
    /// The connection closes at its gateway, but its user grain never hears of it: the close could not
    /// be stored for longer than the gateway kept trying. Only the user grain's device audit finds out.
    /// </summary>
    public void CloseUnheard() => _gateway.Release(ConnectionKey);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _gateway.Client.GetGrain<IUserVoiceGrain>(UserId).ConnectionClosed(ConnectionKey);
            _gateway.Release(ConnectionKey);
            if (_subscription is not null)
            {
                await _subscription.UnsubscribeAsync();
            }
        }
        finally
        {
            if (_ownsGateway)
            {
                _gateway.Dispose();
            }
        }
    }
}
