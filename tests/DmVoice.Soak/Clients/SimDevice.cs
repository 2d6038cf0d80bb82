using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using DmVoice.Abstractions;
using DmVoice.Soak.Checking;
using DmVoice.Soak.Running;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace DmVoice.Soak.Clients;

/// <summary>
/// One device of a simulated user: a SignalR connection through the load balancer that reconnects as an
/// app does, syncs after every (re)connect, records every event it receives and applies them one at a
/// time to its <see cref="DeviceView"/>, reading a room's presence on a gap. It can be told to stop
/// reading for a while (a stalled client).
/// </summary>
public sealed class SimDevice : IAsyncDisposable
{
    private readonly SoakApi _api;
    private readonly Journal _journal;
    private readonly HubConnection _connection;
    private readonly Channel<object> _inbox = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly DeviceView _view = new();
    private readonly object _viewLock = new();
    private readonly Task _applying;
    private TaskCompletionSource _reading = Completed();
    private int _connections;
    private int _pending;
    private volatile bool _synced;
    private volatile bool _stopped;

    public SimDevice(SoakApi api, string deviceId, string deviceKind, Uri balancer, Journal journal)
    {
        _api = api;
        _journal = journal;
        DeviceId = deviceId;
        DeviceKind = deviceKind;
        _connection = new HubConnectionBuilder()
            .WithUrl(new Uri(balancer, "/hubs/voice?deviceId=" + Uri.EscapeDataString(deviceId)), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(api.Token);
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .WithAutomaticReconnect(new AppRetryPolicy())
            .Build();
        foreach (var name in VoiceEventNames.All)
        {
            _connection.On<JsonElement>(name, payload => ReceiveAsync(name, payload));
        }

        _connection.Reconnecting += _ => Lost();
        _connection.Closed += error =>
        {
            // Closed for good: the reconnect policy never gives up, so only a close that forbids reconnecting gets here.
            if (!_stopped)
            {
                _api.RecordClose(error?.Message ?? "closed without an error");
            }

            return Lost();
        };
        _connection.Reconnected += connectionId =>
        {
            Interlocked.Increment(ref _connections);
            _journal.DeviceConnected(DeviceId, UserId);
            _ = SyncAsync();
            return Task.CompletedTask;
        };
        _applying = Task.Run(ApplyLoopAsync);
    }

    public string DeviceId { get; }

    public string DeviceKind { get; }

    public string UserId => _api.UserId;

    /// <summary>Connected, synced since, and reading.</summary>
    public bool IsLiveAndSynced => _connection.State == HubConnectionState.Connected && _synced && _reading.Task.IsCompleted;

    /// <summary>For the terminal: why a device is not live.</summary>
    public string State => $"{_connection.State}, {(_synced ? "synced" : "not synced")}, {(_reading.Task.IsCompleted ? "reading" : "stalled")}, connection {Volatile.Read(ref _connections)}";

    /// <summary>Nothing received is waiting to be applied.</summary>
    public bool IsIdle => Volatile.Read(ref _pending) == 0;

    public IReadOnlyList<string> RoomsRingingMe()
    {
        lock (_viewLock)
        {
            return _view.RoomsRinging(UserId).ToList();
        }
    }

    /// <summary>Connects and syncs once; false when the cluster turned it away (the attempt is recorded).</summary>
    public async Task<bool> ConnectAsync()
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await _connection.StartAsync();
        }
        catch (Exception ex)
        {
            _api.RecordHubCall("hub connect", ex, clock.Elapsed);
            return false;
        }

        _api.RecordHubCall("hub connect", null, clock.Elapsed);
        Interlocked.Increment(ref _connections);
        _journal.DeviceConnected(DeviceId, UserId);
        await SyncAsync();
        return true;
    }

    /// <summary>Stops reading events for <paramref name="duration"/>: the socket fills and the gateway's queue for it grows.</summary>
    public async Task StallAsync(TimeSpan duration)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _reading = gate;
        await Task.Delay(duration);
        gate.TrySetResult();
    }

    public DeviceFinalView Final()
    {
        lock (_viewLock)
        {
            return _view.Final(DeviceId, UserId, IsLiveAndSynced);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopped = true;
        _reading.TrySetResult();
        try
        {
            await _connection.DisposeAsync();
        }
        catch (Exception)
        {
            // Closing a connection to a gateway that is gone may fail; it is closed either way.
        }

        _journal.DeviceDisconnected(DeviceId, UserId);
        _inbox.Writer.TryComplete();
        await _applying;
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }

    private Task Lost()
    {
        _synced = false;
        _journal.DeviceDisconnected(DeviceId, UserId);
        return Task.CompletedTask;
    }

    private async Task ReceiveAsync(string name, JsonElement payload)
    {
        // A stalled client: SignalR runs handlers one at a time, so while this waits nothing more is read.
        await _reading.Task;
        var received = Wire.Event(name, payload.Clone(), DeviceId, UserId, Volatile.Read(ref _connections), DateTimeOffset.UtcNow);
        _journal.Add(received);
        if (received.Name.StartsWith("dmVoice", StringComparison.Ordinal))
        {
            _journal.SawCall(received.RoomId, received.CallId);
        }

        Enqueue(new Received(received, payload.Clone()));
    }

    /// <summary>The documented handshake after every (re)connect: sync, waiting as told while the cluster cannot answer.</summary>
    private async Task SyncAsync()
    {
        var connection = Volatile.Read(ref _connections);
        while (!_stopped && _connection.State == HubConnectionState.Connected && connection == Volatile.Read(ref _connections))
        {
            var clock = Stopwatch.StartNew();
            try
            {
                var overview = await _connection.InvokeAsync<JsonElement>("sync");
                _api.RecordHubCall("hub sync", null, clock.Elapsed);
                Enqueue(new Synced(overview.Clone()));
                return;
            }
            catch (InvalidOperationException)
            {
                // Never sent: the connection dropped between the check and the call. Its reconnect syncs again.
                return;
            }
            catch (Exception ex)
            {
                _api.RecordHubCall("hub sync", ex, clock.Elapsed);
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    private void Enqueue(object item)
    {
        Interlocked.Increment(ref _pending);
        if (!_inbox.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    private async Task ApplyLoopAsync()
    {
        await foreach (var item in _inbox.Reader.ReadAllAsync())
        {
            try
            {
                switch (item)
                {
                    case Synced synced:
                        ApplySync(synced.Overview);
                        await ReadUnlistedRoomsAsync();
                        break;
                    case Received received:
                        await ApplyAsync(received);
                        break;
                }
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }
        }
    }

    private void ApplySync(JsonElement overview)
    {
        lock (_viewLock)
        {
            // "After a reconnect, call sync and start over from its versions."
            _view.Clear();
            foreach (var property in new[] { "liveCalls", "liveChannels" })
            {
                foreach (var presence in overview.GetProperty(property).EnumerateArray())
                {
                    var snapshot = Wire.Presence(presence);
                    _view.Replace(snapshot);
                    if (snapshot.Kind == RoomKind.Dm)
                    {
                        _journal.SawCall(snapshot.RoomId, snapshot.CallId);
                    }
                }
            }
        }

        _synced = true;
    }

    /// <summary>
    /// <c>sync</c> lists live rooms only; like an app that shows every DM's and channel's call state, read
    /// the others' presence too, so that the device knows every room it may hear of.
    /// </summary>
    private async Task ReadUnlistedRoomsAsync()
    {
        foreach (var (list, property) in new[] { ("dm-groups", "dmGroups"), ("voice-channels", "voiceChannels") })
        {
            var page = await _api.ReadPatientlyAsync($"GET /{list} (after sync)", $"/{list}?limit=100", CancellationToken.None);
            if (!page.Ok)
            {
                continue;
            }

            foreach (var roomId in page.Body.GetProperty(property).EnumerateArray().Select(r => Wire.Text(r, "id")!))
            {
                bool known;
                lock (_viewLock)
                {
                    known = _view.Knows(roomId);
                }

                if (!known)
                {
                    await ReadRoomAsync(list, roomId, floor: 0);
                }
            }
        }
    }

    /// <summary>Reads a room's presence and takes it as the device's view of the room (a 404 or no answer: the room is forgotten).</summary>
    private async Task ReadRoomAsync(string list, string roomId, long floor)
    {
        var answer = await _api.ReadPatientlyAsync("GET presence (device)", $"/{list}/{roomId}/voice-presence", CancellationToken.None);
        lock (_viewLock)
        {
            if (!answer.Ok)
            {
                _view.Forget(roomId);
                return;
            }

            var snapshot = Wire.Presence(answer.Body);
            if (snapshot.Version < floor)
            {
                _journal.Add(new VersionRegression(DateTimeOffset.UtcNow, DeviceId, snapshot.RoomId, floor, snapshot.Version));
            }

            _view.Replace(snapshot);
            if (snapshot.Kind == RoomKind.Dm)
            {
                _journal.SawCall(snapshot.RoomId, snapshot.CallId);
            }
        }
    }

    private async Task ApplyAsync(Received received)
    {
        DeviceView.Outcome outcome;
        long? applied;
        lock (_viewLock)
        {
            outcome = _view.Apply(received.Event, received.Payload);
            applied = _view.VersionOf(received.Event.RoomId);
        }

        if (outcome != DeviceView.Outcome.NeedsRead || received.Event.Name == "voiceChannelRemoved")
        {
            return;
        }

        // A gap, or a room this device did not know: read where the room is, then go on from there. The room
        // must be at least at the version just received, and at the one applied before.
        var list = received.Event.Name.StartsWith("dmVoice", StringComparison.Ordinal) ? "dm-groups" : "voice-channels";
        await ReadRoomAsync(list, received.Event.RoomId, Math.Max(applied ?? 0, received.Event.Version));
        lock (_viewLock)
        {
            _view.Apply(received.Event, received.Payload);
        }
    }

    private sealed record Received(ObservedEvent Event, JsonElement Payload);

    private sealed record Synced(JsonElement Overview);

    /// <summary>An app's reconnect policy: at once, then backing off to every 2 s, never giving up.</summary>
    private sealed class AppRetryPolicy : IRetryPolicy
    {
        private static readonly TimeSpan[] Delays = [TimeSpan.Zero, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)];

        public TimeSpan? NextRetryDelay(RetryContext retryContext) =>
            retryContext.PreviousRetryCount < Delays.Length ? Delays[retryContext.PreviousRetryCount] : TimeSpan.FromSeconds(2);
    }
}
