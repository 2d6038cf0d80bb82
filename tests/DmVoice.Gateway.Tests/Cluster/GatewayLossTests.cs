using System.Diagnostics;
using System.Net.Http.Json;
using DmVoice.TestSupport.Processes;

namespace DmVoice.Gateway.Tests.Cluster;

/// <summary>
/// Presence leased to live gateways, with real processes: two silos and two gateways on Redis, and a
/// gateway that vanishes (SIGKILL) or freezes (SIGSTOP) while it holds a user's only device in a call.
/// The lease is short here (3 s, renewed every second) and so are the graces, so each scenario takes
/// seconds; the in-process tests (<c>GatewayDeparturePresenceTests</c>, <c>SiloOutageTests</c>) cover a
/// gateway that leaves cleanly and one that loses the cluster.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class GatewayLossTests
{
    private static readonly TimeSpan LeaseTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan DisconnectGrace = TimeSpan.FromSeconds(1);

    /// <summary>Lapse, grace, and room for a loaded machine; far below the minute the defaults would take.</summary>
    private static readonly TimeSpan LeaveWithin = LeaseTimeout + DisconnectGrace + TimeSpan.FromSeconds(10);

    private sealed record Deployment(ProcessCluster Cluster, DmVoiceProcess GatewayA, DmVoiceProcess GatewayB);

    private static async Task<Deployment> StartAsync(string name)
    {
        var cluster = await ProcessCluster.StartAsync(name);
        cluster.CommonSettings["Cluster:EventDelivery"] = TestDelivery.Mode;
        cluster.CommonSettings["Gateway:LeaseTimeout"] = LeaseTimeout.ToString("c");
        cluster.CommonSettings["Gateway:LeaseRenewInterval"] = "00:00:01";
        cluster.CommonSettings["Calls:DisconnectGrace"] = DisconnectGrace.ToString("c");
        cluster.CommonSettings["Calls:EmptyCallGrace"] = "00:00:01";
        try
        {
            var hosts = cluster.Hosts;
            var ports = cluster.SiloPorts(hosts.Host(2), hosts.Host(3));
            cluster.AddSilo("silo-a", hosts.Host(2), ports);
            cluster.AddSilo("silo-b", hosts.Host(3), ports);
            var gatewayA = cluster.AddGateway("gateway-a", hosts.Host(4));
            var gatewayB = cluster.AddGateway("gateway-b", hosts.Host(5));
            await cluster.StartAllAsync();
            return new Deployment(cluster, gatewayA, gatewayB);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Alice (device on A), Bob (his only device on B) and Dave (a device on each) in one call; Carol (her
    /// only device on B) alone in another call of a DM with Alice, which rings Alice.
    /// </summary>
    private sealed record Scene(
        VoiceUser Alice, VoiceUser Bob, VoiceUser Carol, VoiceUser Dave,
        VoiceUser.Device AliceDevice, VoiceUser.Device BobDevice, DmGroup Group, DmGroup Pair) : IAsyncDisposable
    {
        public static async Task<Scene> StartAsync(Deployment deployment, bool bobReconnects)
        {
            // Everyone's REST goes through gateway A, which stays; the devices are where the scene says.
            var a = deployment.GatewayA.HealthAddress;
            var b = deployment.GatewayB.HealthAddress;
            var alice = await VoiceUser.CreateAsync(a, TestIds.User("alice"), "Alice");
            var bob = await VoiceUser.CreateAsync(a, TestIds.User("bob"), "Bob");
            var carol = await VoiceUser.CreateAsync(a, TestIds.User("carol"), "Carol");
            var dave = await VoiceUser.CreateAsync(a, TestIds.User("dave"), "Dave");
            var aliceDevice = await alice.ConnectAsync(a);
            var bobDevice = await bob.ConnectAsync(b, reconnect: bobReconnects);
            await carol.ConnectAsync(b);
            await dave.ConnectAsync(a);
            await dave.ConnectAsync(b);

            var group = await alice.CreateDmAsync(bob, dave);
            var pair = await alice.CreateDmAsync(carol);
            foreach (var user in new[] { alice, bob, dave })
            {
                await user.JoinAsync(group.Id);
            }

            await carol.JoinAsync(pair.Id);
            await aliceDevice.WaitForAsync(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == dave.UserId);
            await aliceDevice.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("dmGroupId") == pair.Id);
            return new Scene(alice, bob, carol, dave, aliceDevice, bobDevice, group, pair);
        }

        /// <summary>
        /// Bob leaves the group call as <c>disconnected</c>, Dave stays (his device on A still backs him),
        /// and Carol's call, whose only participant is gone, ends: all within <see cref="LeaveWithin"/>.
        /// </summary>
        public async Task AssertTheLostGatewaysUsersAreOutAsync(Stopwatch sinceLoss)
        {
            var bobLeft = await AliceDevice.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == Bob.UserId, LeaveWithin);
            Assert.Equal(LeaveReasons.Disconnected, bobLeft.Str("reason"));
            var ended = await AliceDevice.WaitForAsync(VoiceEventNames.CallEnded, e => e.Str("dmGroupId") == Pair.Id, LeaveWithin);
            Assert.True(sinceLoss.Elapsed < LeaveWithin, $"Out only after {sinceLoss.Elapsed}.");
            Assert.Equal(0, AliceDevice.Count(VoiceEventNames.UserLeft, e => e.Str("userId") == Dave.UserId));

            var group = await Alice.PresenceAsync(Group.Id);
            Assert.Equal([Alice.UserId, Dave.UserId], group.Participants.Select(p => p.UserId).Order());
            var pair = await Alice.PresenceAsync(Pair.Id);
            Assert.Empty(pair.Participants);
            Assert.NotNull(ended.Str("callId"));
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var user in new[] { Alice, Bob, Carol, Dave })
            {
                await user.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_killed_gateway_takes_its_only_device_users_out_of_their_calls_within_the_lease_timeout_and_a_call_left_empty_ends()
    {
        var deployment = await StartAsync("gateway-kill");
        await using var cluster = deployment.Cluster;
        await using var scene = await Scene.StartAsync(deployment, bobReconnects: false);

        var sinceLoss = Stopwatch.StartNew();
        await deployment.GatewayB.KillAsync();

        await scene.AssertTheLostGatewaysUsersAreOutAsync(sinceLoss);

        // The others go on: Dave, still backed by gateway A, is heard by Alice.
        var mute = await scene.Dave.Http.PutAsJsonAsync($"/dm-groups/{scene.Group.Id}/voice-presence/state", new { isMuted = true });
        await VoiceUser.EnsureSuccessAsync(mute);
        await scene.AliceDevice.WaitForAsync(VoiceEventNames.UserUpdated, e => e.GetProperty("user").Str("userId") == scene.Dave.UserId);
    }

    [Fact]
    public async Task A_frozen_gateway_loses_its_users_like_a_killed_one_and_once_resumed_closes_its_stale_connections_with_a_reason_so_they_resync()
    {
        var deployment = await StartAsync("gateway-freeze");
        await using var cluster = deployment.Cluster;
        await using var scene = await Scene.StartAsync(deployment, bobReconnects: true);

        var sinceLoss = Stopwatch.StartNew();
        await deployment.GatewayB.PauseAsync();
        await scene.AssertTheLostGatewaysUsersAreOutAsync(sinceLoss);

        // While B was frozen its lease lapsed and the cluster dropped its devices. Resumed, it must not go
        // on serving them as if nothing happened: it closes them with a reason (lapsed, or unreachable if
        // its first renewal fails), they reconnect, and their sync shows what happened meanwhile.
        await deployment.GatewayB.ResumeAsync();
        await Eventually.TrueAsync(() => !scene.BobDevice.CloseErrors.IsEmpty, "gateway B to close Bob's stale connection", TimeSpan.FromSeconds(30));
        var reason = scene.BobDevice.CloseErrors.First();
        Assert.True(
            reason.Contains(ConnectionCloseReasons.GatewayLeaseLapsed, StringComparison.Ordinal) || reason.Contains(ConnectionCloseReasons.ClusterUnreachable, StringComparison.Ordinal),
            $"Closed for another reason: {reason}");
        await Eventually.TrueAsync(() => scene.BobDevice.IsSynced, "Bob's device to reconnect and sync", TimeSpan.FromSeconds(30));
        Assert.Null(scene.BobDevice.Synced!.ActiveCall);

        // Nobody is left half-in: Bob's own view agrees with the call's, and his re-registered device gets
        // events again (Dave's mute).
        var bobsView = await scene.Bob.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json);
        Assert.Null(bobsView!.ActiveCall);
        var mute = await scene.Dave.Http.PutAsJsonAsync($"/dm-groups/{scene.Group.Id}/voice-presence/state", new { isMuted = true });
        await VoiceUser.EnsureSuccessAsync(mute);
        await scene.BobDevice.WaitForAsync(VoiceEventNames.UserUpdated, e => e.GetProperty("user").Str("userId") == scene.Dave.UserId, TimeSpan.FromSeconds(15));
    }
}
