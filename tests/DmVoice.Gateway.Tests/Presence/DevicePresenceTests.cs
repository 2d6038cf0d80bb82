using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using DmVoice.Gateway.Realtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DmVoice.Gateway.Tests.Presence;

/// <summary>
/// Presence rests on live devices, over real HTTP and SignalR: a seat taken over REST needs a
/// device within the grace, a gateway that leaves takes its devices with it, and a client that
/// cannot keep up is closed (with a reason) instead of holding up anyone else.
/// </summary>
public sealed class DevicePresenceTests : IAsyncLifetime
{
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync(settings =>
    {
        settings["Gateway:ConnectionQueueLimit"] = "8";
        settings["Gateway:RequestsPerMinute"] = "100000";
        settings["Calls:PresenceAuditInterval"] = "00:00:01";
    });

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_user_who_joins_over_REST_and_never_connects_a_device_is_out_after_the_grace()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        var dm = await a.CreateDmAsync(b);
        var bPhone = await b.ConnectAsync();
        var call = await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);

        _server.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal([a.UserId, b.UserId], (await b.PresenceAsync(dm.Id)).Participants.Select(p => p.UserId));

        _server.Time.Advance(TimeSpan.FromSeconds(1));
        var left = await bPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == a.UserId);
        Assert.Equal(LeaveReasons.Disconnected, left.Str("reason"));
        Assert.Equal(call.CallId, left.Str("callId"));
        Assert.Equal([b.UserId], (await b.PresenceAsync(dm.Id)).Participants.Select(p => p.UserId));
        var me = await a.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json);
        Assert.Null(me!.ActiveCall);
    }

    [Fact]
    public async Task A_user_who_joins_over_REST_and_connects_within_the_grace_keeps_the_seat()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        var dm = await a.CreateDmAsync(b);
        var bPhone = await b.ConnectAsync();
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);

        _server.Time.Advance(TimeSpan.FromSeconds(20));
        var aDesktop = await a.ConnectAsync();
        Assert.Equal(new ActiveCall(CallKinds.Dm, dm.Id, null, null), aDesktop.Synced!.ActiveCall);
        _server.Time.Advance(TimeSpan.FromMinutes(2));

        // Still in: a later change by a reaches b, and nobody was told a left.
        var update = await a.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/state", new { isMuted = true });
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        await bPhone.WaitForAsync(VoiceEventNames.UserUpdated, e => e.GetProperty("user").Str("userId") == a.UserId);
        Assert.Equal(0, bPhone.Count(VoiceEventNames.UserLeft));
    }

    [Fact]
    public async Task A_connection_the_gateway_no_longer_holds_whose_close_never_reached_the_cluster_stops_keeping_its_user_online_and_in_the_call()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        var dm = await a.CreateDmAsync(b);
        var bPhone = await b.ConnectAsync();
        var aPhone = await a.ConnectAsync();
        var call = await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);

        // What a close that could never be stored leaves behind: the cluster counts a connection of
        // a's on this gateway that the gateway does not hold. Then a's real device goes.
        using var forgotten = new MeterProbe(_server, "dmvoice.presence.audit_devices_forgotten", "why");
        var route = _server.Services.GetRequiredService<GatewayLease>().Route;
        var lostClose = _server.Services.GetRequiredService<GatewayInstance>().ConnectionKey("closed-but-never-told");
        await _server.Services.GetRequiredService<IGrainFactory>().GetGrain<IUserVoiceGrain>(a.UserId).ConnectionOpened(lostClose, route);
        await aPhone.StopAsync();
        await _server.WaitUntilOfflineAsync(a.UserId);

        // The gateway tells the user grain's audit which connections it really holds: a shows offline.
        await Eventually.GetAsync(() => b.PresenceAsync(dm.Id), p => p.Statuses![a.UserId] == UserStatuses.Offline, "a to show offline");
        Assert.Equal(1, forgotten["not_held"]);

        _server.Time.Advance(TimeSpan.FromSeconds(30));
        var left = await bPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == a.UserId);
        Assert.Equal(LeaveReasons.Disconnected, left.Str("reason"));
        Assert.Equal(call.CallId, left.Str("callId"));
    }

    [Fact]
    public async Task A_connection_that_stops_reading_is_closed_for_its_backlog_while_other_devices_get_every_event_in_order()
    {
        // Long names make every event bigger, so the stalled connection's buffers fill sooner.
        var longName = new string('x', Validate.MaxNameLength);
        var updaters = new List<VoiceUser>();
        for (var i = 0; i < 3; i++)
        {
            updaters.Add(await VoiceUser.CreateAsync(_server.BaseAddress, TestIds.User("updater" + i), longName));
        }

        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        await using var stalled = await VoiceUser.CreateAsync(_server, "stalled");
        var dm = await updaters[0].CreateDmAsync([.. updaters.Skip(1), b, stalled]);
        var bPhone = await b.ConnectAsync();
        using var closed = new MeterProbe(_server, "dmvoice.gateway.connections_closed", "reason");
        using var stuck = await StalledClient.ConnectAsync(_server.BaseAddress, stalled.Token);
        foreach (var updater in updaters)
        {
            await updater.JoinAsync(dm.Id);
        }

        // Changes until the gateway gives up on the stalled connection (its queue holds 8 events,
        // behind the socket buffers of a loopback connection, which hold a few thousand).
        await Eventually.GetAsync(
            async () =>
            {
                await Task.WhenAll(updaters.Select(async updater =>
                {
                    for (var i = 0; i < 50; i++)
                    {
                        var response = await updater.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/state", new { isMuted = i % 2 == 0 });
                        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    }
                }));
                return closed[ConnectionCloseReasons.EventBacklog];
            },
            count => count == 1,
            "the gateway to close the stalled connection for its backlog",
            TimeSpan.FromMinutes(2));

        // The healthy device got every change, in order, without a gap.
        var expected = (long)(await b.PresenceAsync(dm.Id)).Version;
        await bPhone.WaitForAsync(VoiceEventNames.UserUpdated, e => e.GetProperty("version").GetInt64() == expected);
        var versions = bPhone.Events.Where(e => e.Payload.Str("dmGroupId") == dm.Id).Select(e => e.Payload.GetProperty("version").GetInt64()).ToArray();
        Assert.Equal(Enumerable.Range(1, versions.Length).Select(v => (long)v), versions);
        Assert.Equal(expected, versions[^1]);

        // The stalled client, once it reads again, finds its connection closed.
        Assert.True(await stuck.ReadsToTheEndAsync(TimeSpan.FromSeconds(30)));
        foreach (var updater in updaters)
        {
            await updater.DisposeAsync();
        }
    }

    /// <summary>
    /// A SignalR client that completes the handshake and then stops reading, with a tiny receive
    /// buffer so the gateway's writes back up quickly, like an app stuck on a bad network. It keeps
    /// sending pings, so the server does not time it out as silent first.
    /// </summary>
    private sealed class StalledClient : IDisposable
    {
        private readonly ClientWebSocket _socket;
        private readonly HttpMessageInvoker _invoker;
        private readonly CancellationTokenSource _stop = new();

        private StalledClient(ClientWebSocket socket, HttpMessageInvoker invoker)
        {
            _socket = socket;
            _invoker = invoker;
            _ = PingAsync();
        }

        private async Task PingAsync()
        {
            var ping = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), _stop.Token);
                    await _socket.SendAsync(ping, WebSocketMessageType.Text, true, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
            {
                // Stopped, or the server closed the connection.
            }
        }

        public static async Task<StalledClient> ConnectAsync(Uri gateway, string token)
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, cancellationToken) =>
                {
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 2048 };
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            var invoker = new HttpMessageInvoker(handler);
            var socket = new ClientWebSocket();
            var uri = new UriBuilder(gateway) { Scheme = "ws", Path = "/hubs/voice", Query = "access_token=" + Uri.EscapeDataString(token) }.Uri;
            await socket.ConnectAsync(uri, invoker, CancellationToken.None);
            await socket.SendAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e"), WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[1024];
            var handshake = await socket.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal("{}\u001e", Encoding.UTF8.GetString(buffer, 0, handshake.Count));
            return new StalledClient(socket, invoker);
        }

        /// <summary>Reads what piled up until the server's end of the connection; true when it was closed.</summary>
        public async Task<bool> ReadsToTheEndAsync(TimeSpan timeout)
        {
            await _stop.CancelAsync();
            using var cts = new CancellationTokenSource(timeout);
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    var result = await _socket.ReceiveAsync(buffer, cts.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return true;
                    }
                }
            }
            catch (WebSocketException)
            {
                return true; // The transport was cut under it.
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
            _socket.Dispose();
            _invoker.Dispose();
        }
    }
}

/// <summary>Two gateways on one silo: a gateway that leaves takes its devices with it, and nobody else's.</summary>
public sealed class GatewayDeparturePresenceTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _callTime = new(DateTimeOffset.UtcNow);
    private StandaloneSilo _silo = null!;
    private GatewayServer _staying = null!;
    private GatewayServer? _leaving;

    public async ValueTask InitializeAsync()
    {
        _silo = new StandaloneSilo(_callTime);
        await _silo.StartAsync();
        _staying = await _silo.StartGatewayAsync();
        _leaving = await _silo.StartGatewayAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_leaving is not null)
        {
            await _leaving.DisposeAsync();
        }

        await _staying.DisposeAsync();
        await _silo.DisposeAsync();
    }

    [Fact]
    public async Task When_a_gateway_shuts_down_its_only_device_users_leave_after_the_grace_and_users_with_another_device_stay()
    {
        await using var a = await VoiceUser.CreateAsync(_staying.BaseAddress, TestIds.User("a"), "Alice");
        await using var b = await VoiceUser.CreateAsync(_staying.BaseAddress, TestIds.User("b"), "Bob");
        await using var c = await VoiceUser.CreateAsync(_staying.BaseAddress, TestIds.User("c"), "Carol");
        var dm = await a.CreateDmAsync(b, c);
        var aOnStaying = await a.ConnectAsync(_staying.BaseAddress);
        await a.ConnectAsync(_leaving!.BaseAddress);
        await b.ConnectAsync(_leaving.BaseAddress);
        var cOnStaying = await c.ConnectAsync(_staying.BaseAddress);
        foreach (var user in new[] { a, b, c })
        {
            await user.JoinAsync(dm.Id);
        }

        // The leaving gateway releases its lease on the way out: its devices are gone now, not a term later.
        await _leaving.DisposeAsync();
        _leaving = null;
        await Eventually.GetAsync(
            async () =>
            {
                _callTime.Advance(TimeSpan.FromSeconds(30));
                return cOnStaying.Count(VoiceEventNames.UserLeft, e => e.Str("userId") == b.UserId);
            },
            count => count == 1,
            "b, whose only device was on the gateway that left, to leave after the grace");
        var bLeft = await cOnStaying.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == b.UserId);
        Assert.Equal(LeaveReasons.Disconnected, bLeft.Str("reason"));

        // a still has a device on the staying gateway: still in, and still hearing the call.
        var presence = await c.PresenceAsync(dm.Id);
        Assert.Equal([a.UserId, c.UserId], presence.Participants.Select(p => p.UserId));
        var update = await c.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/state", new { isVideoEnabled = true });
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        await aOnStaying.WaitForAsync(VoiceEventNames.UserUpdated, e => e.GetProperty("user").Str("userId") == c.UserId);
        Assert.Equal(0, cOnStaying.Count(VoiceEventNames.UserLeft, e => e.Str("userId") == a.UserId));
    }
}
