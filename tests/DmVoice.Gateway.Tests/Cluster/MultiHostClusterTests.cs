using System.Net;
using System.Net.Http.Json;
using DmVoice.TestSupport.Processes;
using Orleans.Runtime;

namespace DmVoice.Gateway.Tests.Cluster;

/// <summary>
/// Real silo and gateway processes on one Redis, each bound to its own loopback address as if on its
/// own machine: silos at .2 and .3 on the very same ports (possible only because each binds its own
/// address and advertises it), gateways at .4 and .5.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class MultiHostClusterTests
{
    private sealed record Deployment(ProcessCluster Cluster, DmVoiceProcess SiloA, DmVoiceProcess SiloB, DmVoiceProcess Gateway1, DmVoiceProcess Gateway2, SiloPorts Ports);

    private static async Task<Deployment> StartAsync(string name)
    {
        var cluster = await ProcessCluster.StartAsync(name);
        cluster.CommonSettings["Cluster:EventDelivery"] = TestDelivery.Mode;

        // A ring must outlive the silo failover this class waits through (up to a minute on a busy
        // machine), so that what is checked is the ring carrying on, not its timeout.
        cluster.CommonSettings["Calls:RingTimeout"] = "00:02:00";
        try
        {
            var hosts = cluster.Hosts;
            var ports = cluster.SiloPorts(hosts.Host(2), hosts.Host(3));
            var siloA = cluster.AddSilo("silo-a", hosts.Host(2), ports);
            var siloB = cluster.AddSilo("silo-b", hosts.Host(3), ports);
            var gateway1 = cluster.AddGateway("gateway-1", hosts.Host(4));
            var gateway2 = cluster.AddGateway("gateway-2", hosts.Host(5));
            await cluster.StartAllAsync();
            return new Deployment(cluster, siloA, siloB, gateway1, gateway2, ports);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task Silos_on_the_same_ports_at_two_addresses_form_one_cluster_and_a_call_through_one_gateway_rings_a_device_on_the_other()
    {
        var deployment = await StartAsync("same-ports");
        await using var cluster = deployment.Cluster;

        // Both silos are Active members, each at its own address, on identical silo and gateway ports.
        var observer = await cluster.ConnectObserverAsync();
        var members = await observer.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true);
        Assert.Equal(
            new[] { cluster.Hosts.Host(2).ToString(), cluster.Hosts.Host(3).ToString() }.Order(),
            members.Select(m => m.SiloAddress.Endpoint.Address.ToString()).Order());
        Assert.All(members, m => Assert.Equal(deployment.Ports.Silo, m.SiloAddress.Endpoint.Port));
        Assert.All(members, m => Assert.Equal(deployment.Ports.Gateway, m.ProxyPort));

        await using var alice = await VoiceUser.CreateAsync(deployment.Gateway1.HealthAddress, TestIds.User("alice"), "Alice");
        await using var bob = await VoiceUser.CreateAsync(deployment.Gateway2.HealthAddress, TestIds.User("bob"), "Bob");
        var aliceDevice = await alice.ConnectAsync();
        var bobDevice = await bob.ConnectAsync();

        var dm = await alice.CreateDmAsync(bob);
        var started = await alice.JoinAsync(dm.Id);
        Assert.True(started.CallStarted);

        var ringing = await bobDevice.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("dmGroupId") == dm.Id);
        Assert.Equal(started.CallId, ringing.Str("callId"));
        Assert.Equal(bob.UserId, Assert.Single(ringing.GetProperty("ringing").EnumerateArray()).Str("userId"));

        // Bob answers through his gateway; Alice's device on the other gateway sees him join, and his ring stop.
        await bob.JoinAsync(dm.Id);
        await aliceDevice.WaitForAsync(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == bob.UserId);
        var stopped = await bobDevice.WaitForAsync(VoiceEventNames.RingStopped, e => e.Str("userId") == bob.UserId);
        Assert.Equal(RingOutcomes.Accepted, stopped.Str("outcome"));

        var update = await bob.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/state", new { isMuted = true });
        await VoiceUser.EnsureSuccessAsync(update);
        var muted = await aliceDevice.WaitForAsync(VoiceEventNames.UserUpdated, e => e.GetProperty("user").Str("userId") == bob.UserId);
        Assert.True(muted.GetProperty("user").GetProperty("isMuted").GetBoolean());

        var presence = await alice.PresenceAsync(dm.Id);
        Assert.Equal([alice.UserId, bob.UserId], presence.Participants.Select(p => p.UserId));
    }

    [Fact]
    public async Task After_the_silo_hosting_a_call_is_killed_the_cluster_notices_and_the_call_with_its_participants_and_ring_carries_on()
    {
        var deployment = await StartAsync("silo-kill");
        await using var cluster = deployment.Cluster;
        await using var alice = await VoiceUser.CreateAsync(deployment.Gateway1.HealthAddress, TestIds.User("alice"), "Alice");
        await using var bob = await VoiceUser.CreateAsync(deployment.Gateway2.HealthAddress, TestIds.User("bob"), "Bob");
        await using var carol = await VoiceUser.CreateAsync(deployment.Gateway1.HealthAddress, TestIds.User("carol"), "Carol");
        var aliceDevice = await alice.ConnectAsync();
        var bobDevice = await bob.ConnectAsync();
        var carolDevice = await carol.ConnectAsync();

        var dm = await alice.CreateDmAsync(bob, carol);
        var started = await alice.JoinAsync(dm.Id);
        await bob.JoinAsync(dm.Id);
        await carolDevice.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("dmGroupId") == dm.Id);
        var before = await alice.PresenceAsync(dm.Id);
        var carolsRing = Assert.Single(before.Ringing);
        Assert.Equal(carol.UserId, carolsRing.UserId);

        // Kill the silo that holds the call, without warning.
        var observer = await cluster.ConnectObserverAsync();
        var management = observer.GetGrain<IManagementGrain>(0);
        var host = await management.GetActivationAddress(observer.GetGrain<IDmCallGrain>(dm.Id));
        Assert.NotNull(host);
        var (victim, survivor) = host.Endpoint.Address.Equals(cluster.Hosts.Host(2))
            ? (deployment.SiloA, deployment.SiloB)
            : (deployment.SiloB, deployment.SiloA);
        await victim.KillAsync();

        // The survivor declares it dead (failure detection shortened to about two seconds by the cluster's settings).
        await Eventually.GetAsync(
            async () =>
            {
                try
                {
                    return await management.GetDetailedHosts(onlyActive: false);
                }
                catch (Exception ex) when (ex is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException)
                {
                    // The management grain itself may have lived on the killed silo.
                    return [];
                }
            },
            hosts => hosts.Any(h => h.SiloAddress.Equals(host) && h.Status == SiloStatus.Dead),
            $"{victim.Name} to be declared dead",
            TimeSpan.FromSeconds(60));
        await survivor.WaitUntilReadyAsync();

        // Requests through either gateway work again, and the call is as it was: same call, same
        // participants, Carol still rung with the same ring and deadline (all of it persisted in Redis).
        foreach (var user in new[] { alice, bob })
        {
            var after = await Eventually.GetAsync(
                async () =>
                {
                    try
                    {
                        return await user.PresenceAsync(dm.Id);
                    }
                    catch (HttpRequestException)
                    {
                        return null;
                    }
                },
                presence => presence is not null,
                $"the presence to answer through {user.UserId}'s gateway",
                TimeSpan.FromSeconds(60));
            Assert.Equal(started.CallId, after!.CallId);
            Assert.Equal([alice.UserId, bob.UserId], after.Participants.Select(p => p.UserId));
            Assert.Equal(carolsRing, Assert.Single(after.Ringing));
            Assert.True(after.Version >= before.Version);
        }

        // Events cross gateways again: Carol declines through gateway 1, Bob's device on gateway 2 hears it,
        // and a mute through gateway 2 reaches Alice's device on gateway 1.
        var decline = await carol.Http.PostAsync($"/dm-groups/{dm.Id}/call/decline", null);
        await VoiceUser.EnsureSuccessAsync(decline);
        foreach (var device in new[] { aliceDevice, bobDevice, carolDevice })
        {
            var stop = await device.WaitForAsync(VoiceEventNames.RingStopped, e => e.Str("userId") == carol.UserId, TimeSpan.FromSeconds(30));
            Assert.Equal(RingOutcomes.Declined, stop.Str("outcome"));
            Assert.Equal(carolsRing.RingId, stop.Str("ringId"));
        }

        var mute = await bob.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/state", new { isMuted = true });
        await VoiceUser.EnsureSuccessAsync(mute);
        await aliceDevice.WaitForAsync(VoiceEventNames.UserUpdated, e => e.GetProperty("user").Str("userId") == bob.UserId, TimeSpan.FromSeconds(30));
        Assert.Equal(1, bobDevice.Count(VoiceEventNames.RingStopped, e => e.Str("userId") == carol.UserId));
        Assert.Equal(HttpStatusCode.OK, (await survivor.GetAsync("/health/ready")).StatusCode);
    }
}
