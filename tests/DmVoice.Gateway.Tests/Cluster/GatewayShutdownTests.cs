using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using DmVoice.TestSupport.Processes;

namespace DmVoice.Gateway.Tests.Cluster;

/// <summary>
/// A gateway asked to stop (SIGTERM, as systemd, Docker and Kubernetes do) with real processes on
/// Redis: its devices are sent elsewhere at once with <c>gateway_shutting_down</c>, and requests in
/// flight are finished within <c>Gateway:ShutdownTimeout</c>.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class GatewayShutdownTests
{
    private static async Task<ProcessCluster> StartClusterAsync(string name)
    {
        var cluster = await ProcessCluster.StartAsync(name);
        cluster.CommonSettings["Cluster:EventDelivery"] = TestDelivery.Mode;
        return cluster;
    }

    [Fact]
    public async Task Stopping_each_gateway_in_turn_behind_the_load_balancer_moves_every_device_to_the_other_at_once_with_gateway_shutting_down_and_nobody_leaves_the_call()
    {
        await using var cluster = await StartClusterAsync("gateway-sigterm");

        // A short grace: a device that took its time to come back would cost its user the seat.
        cluster.CommonSettings["Calls:DisconnectGrace"] = "00:00:03";
        var hosts = cluster.Hosts;
        cluster.AddSilo("silo", hosts.Host(2), cluster.SiloPorts(hosts.Host(2)));
        var gateway1 = cluster.AddGateway("gateway-1", hosts.Host(4));
        var gateway2 = cluster.AddGateway("gateway-2", hosts.Host(5));
        await cluster.StartAllAsync();
        await using var balancer = LoadBalancer.Start(hosts.Host(9), gateway1, gateway2);
        await Eventually.TrueAsync(() => balancer.IsReady(gateway1) && balancer.IsReady(gateway2), "the balancer to see both gateways ready");

        await using var alice = await VoiceUser.CreateAsync(balancer.Address, TestIds.User("alice"), "Alice");
        await using var bob = await VoiceUser.CreateAsync(balancer.Address, TestIds.User("bob"), "Bob");
        var devices = new List<VoiceUser.Device>();
        foreach (var user in new[] { alice, bob, alice, bob })
        {
            devices.Add(await user.ConnectAsync(balancer.Address, reconnect: true, webSocketsOnly: true));
        }

        var dm = await alice.CreateDmAsync(bob);
        var started = await alice.JoinAsync(dm.Id);
        await bob.JoinAsync(dm.Id);
        foreach (var device in devices)
        {
            await device.WaitForAsync(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == bob.UserId);
        }

        foreach (var gateway in new[] { gateway1, gateway2 })
        {
            var closedBefore = devices.Sum(d => d.CloseErrors.Count);
            var exitCode = await gateway.StopAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, exitCode);

            // Its devices were told why, were allowed to reconnect, and did so through the balancer to the
            // gateway still running (the stopped one no longer listens), before their grace ran out.
            Assert.True(devices.Sum(d => d.CloseErrors.Count) > closedBefore, $"No device was closed by {gateway.Name}.");
            await Eventually.TrueAsync(() => devices.All(d => d.IsSynced), "every device to be connected and synced again", TimeSpan.FromSeconds(10));
            Assert.Equal(0, balancer.OpenConnections(gateway));

            await gateway.StartAsync();
            await Eventually.TrueAsync(() => balancer.IsReady(gateway), $"the balancer to see {gateway.Name} ready again");
        }

        // Every device was on one of the two gateways, so each was moved at least once, always for that reason.
        Assert.All(devices, d => Assert.NotEmpty(d.CloseErrors));
        Assert.All(devices.SelectMany(d => d.CloseErrors), reason => Assert.Contains(ConnectionCloseReasons.GatewayShuttingDown, reason, StringComparison.Ordinal));

        // Nobody left, the call is the same one, and events reach every device wherever it is now.
        Assert.All(devices, d => Assert.Equal(0, d.Count(VoiceEventNames.UserLeft)));
        await Task.Delay(TimeSpan.FromSeconds(4)); // Past the grace: a device the cluster lost track of would cost its seat now.
        var presence = await alice.PresenceAsync(dm.Id);
        Assert.Equal(started.CallId, presence.CallId);
        Assert.Equal([alice.UserId, bob.UserId], presence.Participants.Select(p => p.UserId).Order());
        await VoiceUser.EnsureSuccessAsync(await bob.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/state", new { isMuted = true }));
        foreach (var device in devices)
        {
            await device.WaitForAsync(VoiceEventNames.UserUpdated, e => e.GetProperty("user").Str("userId") == bob.UserId);
            Assert.Equal(0, device.Count(VoiceEventNames.UserLeft));
        }
    }

    [Fact]
    public async Task A_stopping_gateway_finishes_a_request_in_flight_before_it_exits_but_waits_no_longer_than_its_shutdown_timeout()
    {
        await using var cluster = await StartClusterAsync("gateway-drain");
        var hosts = cluster.Hosts;
        var silo = cluster.AddSilo("silo", hosts.Host(2), cluster.SiloPorts(hosts.Host(2)));
        var patient = cluster.AddGateway("patient", hosts.Host(4), configure: s => s["Gateway:ShutdownTimeout"] = "00:00:30");
        var impatient = cluster.AddGateway("impatient", hosts.Host(5), configure: s => s["Gateway:ShutdownTimeout"] = "00:00:03");
        await cluster.StartAllAsync();
        await using var alice = await VoiceUser.CreateAsync(patient.HealthAddress, TestIds.User("alice"), "Alice");
        await using var bob = await VoiceUser.CreateAsync(impatient.HealthAddress, TestIds.User("bob"), "Bob");
        var dm = await alice.CreateDmAsync(bob);

        // Freeze the only silo, so that a join through each gateway is held up inside the cluster.
        await silo.PauseAsync();
        var aliceJoin = alice.Http.PostAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/join", new { });
        var bobJoin = bob.Http.PostAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/join", new { });
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(aliceJoin.IsCompleted || bobJoin.IsCompleted, "The joins were not held up by the frozen silo.");

        var sinceStop = Stopwatch.StartNew();
        var patientExit = patient.StopAsync(TimeSpan.FromSeconds(45));
        var impatientExit = impatient.StopAsync(TimeSpan.FromSeconds(45));

        // The impatient gateway gives up on its request after its 3 s, and exits.
        await impatientExit;
        Assert.InRange(sinceStop.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(15));
        await Assert.ThrowsAnyAsync<HttpRequestException>(async () => await VoiceUser.EnsureSuccessAsync(await bobJoin));

        // The patient one still waits for Alice's join; once the silo answers, she gets her answer, and
        // only then does the gateway exit.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(patientExit.IsCompleted, "The patient gateway did not wait for its request in flight.");
        Assert.False(aliceJoin.IsCompleted);
        await silo.ResumeAsync();
        var answer = await aliceJoin.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(0, await patientExit);
    }
}
