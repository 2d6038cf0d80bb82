#if EVENT_DELIVERY_STREAMS
using DmVoice.Gateway.Realtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace DmVoice.Gateway.Tests.Faults;

/// <summary>
/// Streams mode: a connection's first step subscribes to the user's stream. When a passing fault fails
/// that (a silo going away), the connection is turned away to reconnect, not closed with reconnecting
/// forbidden, which left the device away for good (found by the fault soak).
/// </summary>
public sealed class StreamSubscribeFaultTests : IAsyncLifetime
{
    private readonly FailingFirstSubscribe _source = new();
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync(services: services =>
        services.AddSingleton<IUserEventSource>(sp =>
        {
            _source.Inner = new StreamEventSource(sp.GetRequiredService<IClusterClient>(), sp.GetRequiredService<ILogger<StreamEventSource>>());
            return _source;
        }));

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_subscription_that_meets_a_passing_fault_turns_the_connection_away_to_reconnect_and_the_device_gets_its_events()
    {
        await using var alice = await VoiceUser.CreateAsync(_server, "alice");
        await using var bob = await VoiceUser.CreateAsync(_server, "bob");
        var dm = await alice.CreateDmAsync(bob);

        _source.FailNext = true;
        var phone = new VoiceUser.Device(new Uri(_server.BaseAddress, "/hubs/voice"), bob.Token, reconnect: true);
        await using var _ = phone;
        await phone.Connection.StartAsync();

        // Turned away with a reason that allows reconnecting; the app reconnects and syncs.
        await Eventually.TrueAsync(() => phone.Reconnects > 0 && phone.IsSynced, "the device to reconnect and sync");
        Assert.Contains(phone.CloseErrors, e => e.Contains(ErrorCodes.TemporarilyUnavailable, StringComparison.Ordinal));

        await alice.JoinAsync(dm.Id);
        await phone.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("dmGroupId") == dm.Id);
    }

    /// <summary>The real stream source, whose next subscription fails as a dying silo's would.</summary>
    private sealed class FailingFirstSubscribe : IUserEventSource
    {
        public IUserEventSource Inner { get; set; } = null!;

        public volatile bool FailNext;

        public Task<IAsyncDisposable> SubscribeAsync(string userId, ConnectionRegistry registry)
        {
            if (FailNext)
            {
                FailNext = false;
                throw new SiloUnavailableException("the silo is going away");
            }

            return Inner.SubscribeAsync(userId, registry);
        }
    }
}
#endif
