#if EVENT_DELIVERY_STREAMS
using DmVoice.Gateway.Realtime;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;

namespace DmVoice.Gateway.Tests.Faults;

/// <summary>
/// Streams mode: a pulling agent that cannot reach a gateway for a moment (a silo it delivered through
/// died) stops delivering to that gateway's subscription for good without telling it, and the user's
/// events stop there while their connections stay open (found by the fault soak). After it loses a
/// silo the gateway re-creates its users' subscriptions (<see cref="SubscriptionAudit"/>). Here the
/// subscription is removed behind the gateway's back, as the agent does.
/// </summary>
public sealed class DroppedStreamSubscriptionTests : IAsyncLifetime
{
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_subscription_the_cluster_dropped_is_re_created_and_the_users_events_flow_again()
    {
        await using var alice = await VoiceUser.CreateAsync(_server, "alice");
        await using var bob = await VoiceUser.CreateAsync(_server, "bob");
        var phone = await bob.ConnectAsync();
        var dm = await alice.CreateDmAsync(bob);
        var registry = _server.Services.GetRequiredService<ConnectionRegistry>();

        // What the agent does: the subscription leaves the cluster's records; the gateway still holds its handle.
        var stream = _server.Services.GetRequiredService<IClusterClient>()
            .GetStreamProvider(VoiceStreams.ProviderName).GetStream<VoiceEvent>(VoiceStreams.ForUser(bob.UserId));
        foreach (var handle in await stream.GetAllSubscriptionHandles())
        {
            await handle.UnsubscribeAsync();
        }

        Assert.Equal(1, await registry.ResubscribeAllAsync());

        var joined = await alice.JoinAsync(dm.Id);
        var started = await phone.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("dmGroupId") == dm.Id);
        Assert.Equal(joined.Version, started.GetProperty("version").GetInt64());
    }
}
#endif
