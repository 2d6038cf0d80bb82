#if EVENT_DELIVERY_STREAMS
using DmVoice.Gateway.Realtime;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;

namespace DmVoice.Gateway.Tests.Faults;

/// <summary>
/// Streams mode: a pulling agent that cannot reach a gateway for a moment (a silo it delivered through
/// died) removes that gateway's subscription for good without telling it, and the user's events stop
/// there while their connections stay open (found by the fault soak). The gateway finds and re-creates
/// such subscriptions after it loses a silo. Here the removal is made directly, as the agent makes it.
/// </summary>
public sealed class DroppedStreamSubscriptionTests : IAsyncLifetime
{
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_subscription_the_cluster_dropped_is_found_and_re_created_and_the_users_events_flow_again()
    {
        await using var alice = await VoiceUser.CreateAsync(_server, "alice");
        await using var bob = await VoiceUser.CreateAsync(_server, "bob");
        var phone = await bob.ConnectAsync();
        var dm = await alice.CreateDmAsync(bob);
        var registry = _server.Services.GetRequiredService<ConnectionRegistry>();
        Assert.Equal(0, await registry.RepairSubscriptionsAsync());

        // What the agent does: the subscription leaves the cluster's records; the gateway still holds its handle.
        var stream = _server.Services.GetRequiredService<IClusterClient>()
            .GetStreamProvider(VoiceStreams.ProviderName).GetStream<VoiceEvent>(VoiceStreams.ForUser(bob.UserId));
        foreach (var handle in await stream.GetAllSubscriptionHandles())
        {
            await handle.UnsubscribeAsync();
        }

        Assert.Equal(1, await registry.RepairSubscriptionsAsync());
        Assert.Equal(0, await registry.RepairSubscriptionsAsync());

        var joined = await alice.JoinAsync(dm.Id);
        var started = await phone.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("dmGroupId") == dm.Id);
        Assert.Equal(joined.Version, started.GetProperty("version").GetInt64());
    }
}
#endif
