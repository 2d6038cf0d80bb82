using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace DmVoice.Gateway.Tests.Infrastructure;

/// <summary>A user as a client app sees the system: a token, REST calls and SignalR connections (devices).</summary>
public sealed class VoiceUser : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Uri _baseAddress;
    private readonly List<Device> _devices = [];

    private VoiceUser(Uri baseAddress, string userId, string token)
    {
        _baseAddress = baseAddress;
        UserId = userId;
        Token = token;
        Http = new HttpClient { BaseAddress = baseAddress };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public string UserId { get; }

    public string Token { get; }

    public HttpClient Http { get; }

    /// <summary>Gets a token from /dev/token, as a newcomer would.</summary>
    public static async Task<VoiceUser> CreateAsync(GatewayServer server, string name) =>
        await CreateAsync(server.BaseAddress, TestIds.User(name), name);

    public static async Task<VoiceUser> CreateAsync(Uri baseAddress, string userId, string? displayName = null)
    {
        using var anonymous = new HttpClient { BaseAddress = baseAddress };
        var response = await anonymous.PostAsJsonAsync("/dev/token", new { userId, displayName });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return new VoiceUser(baseAddress, userId, body.GetProperty("token").GetString()!);
    }

    /// <summary>A user with a token minted elsewhere (an identity provider, <see cref="TestTokens"/>).</summary>
    public static VoiceUser WithToken(Uri baseAddress, string userId, string token) => new(baseAddress, userId, token);

    /// <summary>
    /// Opens a SignalR connection (one device) that records every call event. With
    /// <paramref name="reconnect"/> it behaves like a real app: it reconnects after a drop (or after
    /// the gateway closed it with a reason), for as long as it takes, and syncs again. With
    /// <paramref name="webSocketsOnly"/> it connects the way apps behind a load balancer without session
    /// affinity do: WebSockets straight away, no negotiate request (which could land on another gateway).
    /// </summary>
    /// <param name="deviceId">The device the connection says it is (<c>?deviceId=</c>), the id its joins name.</param>
    public async Task<Device> ConnectAsync(Uri? gateway = null, bool reconnect = false, string? deviceId = null, bool webSocketsOnly = false)
    {
        var hub = "/hubs/voice" + (deviceId is null ? string.Empty : "?deviceId=" + Uri.EscapeDataString(deviceId));
        var device = new Device(new Uri(gateway ?? _baseAddress, hub), Token, reconnect, webSocketsOnly);
        await device.StartAsync();
        _devices.Add(device);
        return device;
    }

    public async Task<DmGroup> CreateDmAsync(params VoiceUser[] others)
    {
        var response = await Http.PostAsJsonAsync("/dm-groups", new { memberIds = others.Select(o => o.UserId).ToArray() });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<DmGroup>(Json))!;
    }

    /// <summary>GET /dm-groups: one page of my DMs, newest activity first.</summary>
    public async Task<DmVoice.Gateway.Contracts.DmGroupPage> ListDmsAsync(int? limit = null, string? cursor = null)
    {
        var query = new List<string>();
        if (limit is not null)
        {
            query.Add($"limit={limit}");
        }

        if (cursor is not null)
        {
            query.Add($"cursor={Uri.EscapeDataString(cursor)}");
        }

        var response = await Http.GetAsync("/dm-groups" + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty));
        await EnsureSuccessAsync(response);
        return (await response.Content.ReadFromJsonAsync<DmVoice.Gateway.Contracts.DmGroupPage>(Json))!;
    }

    /// <summary>
    /// POST /voice-channels: creates a channel naming <paramref name="members"/>, who then accept their invites.
    /// Returns the channel as the last acceptance left it (every one of them a member).
    /// </summary>
    public async Task<VoiceChannel> CreateChannelAsync(string name, params VoiceUser[] members)
    {
        var response = await Http.PostAsJsonAsync("/voice-channels", new { name, memberIds = members.Select(m => m.UserId).ToArray() });
        await EnsureSuccessAsync(response);
        var channel = (await response.Content.ReadFromJsonAsync<VoiceChannel>(Json))!;
        foreach (var member in members)
        {
            channel = await member.AcceptChannelInviteAsync(channel.Id);
        }

        return channel;
    }

    /// <summary>POST /voice-channels/{id}/invite/accept: I become a member of the channel that invited me.</summary>
    public async Task<VoiceChannel> AcceptChannelInviteAsync(string channelId)
    {
        var response = await Http.PostAsync($"/voice-channels/{channelId}/invite/accept", null);
        await EnsureSuccessAsync(response);
        return (await response.Content.ReadFromJsonAsync<VoiceChannel>(Json))!;
    }

    public async Task<JoinResult> JoinAsync(string dmGroupId, object? body = null)
    {
        var response = await Http.PostAsJsonAsync($"/dm-groups/{dmGroupId}/voice-presence/join", body ?? new { });
        await EnsureSuccessAsync(response);
        return (await response.Content.ReadFromJsonAsync<JoinResult>(Json))!;
    }

    public async Task LeaveAsync(string dmGroupId) =>
        await EnsureSuccessAsync(await Http.DeleteAsync($"/dm-groups/{dmGroupId}/voice-presence/leave"));

    public async Task<CallPresence> PresenceAsync(string dmGroupId)
    {
        var response = await Http.GetAsync($"/dm-groups/{dmGroupId}/voice-presence");
        await EnsureSuccessAsync(response);
        return (await response.Content.ReadFromJsonAsync<CallPresence>(Json))!;
    }

    public static async Task EnsureSuccessAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var device in _devices)
        {
            await device.DisposeAsync();
        }

        Http.Dispose();
    }

    /// <summary>
    /// One SignalR connection; records (event name, payload) in arrival order. An event that arrives
    /// again, identical (stream delivery repeats each member's latest event once), is counted in
    /// <see cref="Repeats"/> and not recorded twice, as a client ignores a version it already applied.
    /// </summary>
    public sealed class Device : IAsyncDisposable
    {
        private readonly ConcurrentQueue<(string Name, JsonElement Payload)> _events = new();
        private readonly ConcurrentDictionary<string, bool> _seen = new(StringComparer.Ordinal);
        private int _repeats;

        public Device(Uri hub, string token, bool reconnect = false, bool webSocketsOnly = false)
        {
            var builder = new HubConnectionBuilder()
                .WithUrl(hub, o =>
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                    if (webSocketsOnly)
                    {
                        o.Transports = HttpTransportType.WebSockets;
                        o.SkipNegotiation = true;
                    }
                });
            if (reconnect)
            {
                builder.WithAutomaticReconnect(new AppRetryPolicy());
            }

            Connection = builder.Build();
            foreach (var name in VoiceEventNames.All)
            {
                Connection.On<JsonElement>(name, payload => Record(name, payload));
            }

            Connection.Closed += error =>
            {
                CloseErrors.Enqueue(error?.Message ?? string.Empty);
                return Task.CompletedTask;
            };
            Connection.Reconnecting += error =>
            {
                CloseErrors.Enqueue(error?.Message ?? string.Empty);
                return Task.CompletedTask;
            };
            Connection.Reconnected += async _ =>
            {
                // The documented handshake after every (re)connect: sync, then apply events on top.
                Interlocked.Increment(ref _reconnects);
                await SyncAfterReconnectAsync();
            };
        }

        private int _reconnects;
        private int _syncs;

        private void Record(string name, JsonElement payload)
        {
            if (!_seen.TryAdd(name + "\n" + payload.GetRawText(), true))
            {
                Interlocked.Increment(ref _repeats);
                return;
            }

            _events.Enqueue((name, payload));
        }

        /// <summary>How many events arrived a second time, identical, and were not recorded again.</summary>
        public int Repeats => Volatile.Read(ref _repeats);

        public HubConnection Connection { get; }

        /// <summary>Why the connection closed or dropped, each time it did (the server's close reason is in the text).</summary>
        public ConcurrentQueue<string> CloseErrors { get; } = new();

        /// <summary>How many times it reconnected (and synced again).</summary>
        public int Reconnects => Volatile.Read(ref _reconnects);

        public IReadOnlyList<(string Name, JsonElement Payload)> Events => _events.ToArray();

        /// <summary>The state the hub handed over on connect (the documented "connect, then sync" handshake).</summary>
        public MyVoiceOverview? Synced { get; private set; }

        /// <summary>How many times <c>sync</c> answered, the first connect included.</summary>
        public int Syncs => Volatile.Read(ref _syncs);

        /// <summary>Whether the connection is up and has synced since it last (re)connected.</summary>
        public bool IsSynced => Connection.State == HubConnectionState.Connected && Volatile.Read(ref _syncedConnection) == Connection.ConnectionId;

        private string? _syncedConnection;

        public async Task StartAsync()
        {
            await Connection.StartAsync();
            Synced = await Connection.InvokeAsync<MyVoiceOverview>("sync");
            Interlocked.Increment(ref _syncs);
            Volatile.Write(ref _syncedConnection, Connection.ConnectionId);
        }

        /// <summary>
        /// As an app does after reconnecting: sync, and if the answer is temporarily_unavailable, wait as
        /// told and ask again while the connection lasts (a connection that drops again syncs on its next reconnect).
        /// </summary>
        private async Task SyncAfterReconnectAsync()
        {
            var connectionId = Connection.ConnectionId;
            while (Connection.State == HubConnectionState.Connected && Connection.ConnectionId == connectionId)
            {
                try
                {
                    Synced = await Connection.InvokeAsync<MyVoiceOverview>("sync");
                    Interlocked.Increment(ref _syncs);
                    Volatile.Write(ref _syncedConnection, connectionId);
                    return;
                }
                catch (HubException ex) when (ex.Message.Contains(ErrorCodes.TemporarilyUnavailable, StringComparison.Ordinal))
                {
                    SyncErrors.Enqueue(ex.Message);
                    await Task.Delay(TimeSpan.FromMilliseconds(500));
                }
                catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or HubException)
                {
                    // Closed or turned away meanwhile: the next reconnect syncs again.
                    SyncErrors.Enqueue(ex.Message);
                    return;
                }
            }
        }

        /// <summary>Why a sync after a reconnect failed, each time it did.</summary>
        public ConcurrentQueue<string> SyncErrors { get; } = new();

        public Task StopAsync() => Connection.StopAsync();

        /// <summary>Waits for an event by its wire name whose payload matches.</summary>
        public async Task<JsonElement> WaitForAsync(string name, Func<JsonElement, bool>? match = null, TimeSpan? timeout = null)
        {
            JsonElement found = default;
            await Eventually.TrueAsync(
                () =>
                {
                    foreach (var (eventName, payload) in _events)
                    {
                        if (eventName == name && (match is null || match(payload)))
                        {
                            found = payload;
                            return true;
                        }
                    }

                    return false;
                },
                $"'{name}' on a device",
                timeout);
            return found;
        }

        public int Count(string name, Func<JsonElement, bool>? match = null) =>
            _events.Count(e => e.Name == name && (match is null || match(e.Payload)));

        public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
    }

    /// <summary>An app's reconnect policy: at once, then backing off to every 5 s, and never giving up.</summary>
    private sealed class AppRetryPolicy : IRetryPolicy
    {
        private static readonly TimeSpan[] Delays =
            [TimeSpan.Zero, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

        public TimeSpan? NextRetryDelay(RetryContext retryContext) =>
            retryContext.PreviousRetryCount < Delays.Length ? Delays[retryContext.PreviousRetryCount] : TimeSpan.FromSeconds(5);
    }
}

internal static class JsonElementExtensions
{
    public static string Str(this JsonElement element, string property) => element.GetProperty(property).GetString()!;
}
