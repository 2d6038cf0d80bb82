using System.Net;

namespace DmVoice.Gateway.Tests;

/// <summary>
/// A cluster that restarts with empty in-memory state has forgotten the gateway's lease and its
/// devices. The gateway learns so at its next renewal and closes its connections with a reason; a
/// client that reconnects (as real apps do) syncs and hears calls made after the silo came back.
/// </summary>
public sealed class ClusterReconnectTests : IAsyncLifetime
{
    private readonly StandaloneSilo _silo = new();
    private GatewayServer _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        await _silo.StartAsync();
        _gateway = await _silo.StartGatewayAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _silo.DisposeAsync();
    }

    [Fact]
    public async Task Events_reach_a_connected_device_again_after_the_silo_restarts()
    {
        await using var a = await VoiceUser.CreateAsync(_gateway, "alice");
        await using var b = await VoiceUser.CreateAsync(_gateway, "bob");
        var bPhone = await b.ConnectAsync(reconnect: true);

        // The silo restarts with empty in-memory state, stream subscriptions included.
        await _silo.StopAsync();
        await _silo.StartAsync();
        using var probe = new HttpClient { BaseAddress = _gateway.BaseAddress };
        await Eventually.GetAsync(
            async () => (await probe.GetAsync("/health/ready")).StatusCode,
            status => status == HttpStatusCode.OK,
            "the gateway to reach the restarted silo",
            TimeSpan.FromSeconds(60));

        // The gateway notices that the cluster forgot it and has its devices reconnect and re-sync.
        await Eventually.TrueAsync(() => bPhone.Reconnects >= 1, "b's phone to reconnect after the cluster forgot the gateway", TimeSpan.FromSeconds(30));
        Assert.Contains(bPhone.CloseErrors, e => e.Contains(ConnectionCloseReasons.GatewayLeaseLapsed, StringComparison.Ordinal));

        var dm = await Eventually.GetAsync(
            async () =>
            {
                try
                {
                    return await a.CreateDmAsync(b);
                }
                catch (HttpRequestException)
                {
                    return null;
                }
            },
            group => group is not null,
            "a DM through the reconnected gateway",
            TimeSpan.FromSeconds(30));
        await a.JoinAsync(dm!.Id);

        var started = await bPhone.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("dmGroupId") == dm.Id, TimeSpan.FromSeconds(30));
        Assert.Equal(a.UserId, started.GetProperty("user").Str("userId"));

    }
}
