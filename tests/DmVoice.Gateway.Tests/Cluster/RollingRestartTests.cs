using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using DmVoice.TestSupport.Processes;

namespace DmVoice.Gateway.Tests.Cluster;

/// <summary>
/// A rolling restart, as an operator (or a Kubernetes rollout) does it: two silos and two gateways on
/// Redis behind a load balancer, each process stopped with SIGTERM and started again in turn, while
/// calls are live, rings pending and clients keep sending requests.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class RollingRestartTests
{
    [Fact]
    public async Task Restarting_each_silo_and_each_gateway_in_turn_loses_no_participant_loses_or_repeats_no_ring_at_a_device_and_answers_no_request_5xx()
    {
        await using var cluster = await ProcessCluster.StartAsync("rolling-restart");
        cluster.CommonSettings["Cluster:EventDelivery"] = TestDelivery.Mode;

        // Rings must outlast the whole restart, so that a ring missing at the end was lost, not expired.
        cluster.CommonSettings["Calls:RingTimeout"] = "00:02:00";

        // Gateways look for restarted silos every second here (5 s by default), and the operator waits two
        // of those (and a margin) after a silo is ready before stopping the next, as deploy/README.md says.
        var gatewayListRefresh = TimeSpan.FromSeconds(1);
        cluster.CommonSettings["Cluster:GatewayListRefreshPeriod"] = gatewayListRefresh.ToString("c");
        var hosts = cluster.Hosts;
        var ports = cluster.SiloPorts(hosts.Host(2), hosts.Host(3));
        var siloA = cluster.AddSilo("silo-a", hosts.Host(2), ports);
        var siloB = cluster.AddSilo("silo-b", hosts.Host(3), ports);
        var gateway1 = cluster.AddGateway("gateway-1", hosts.Host(4));
        var gateway2 = cluster.AddGateway("gateway-2", hosts.Host(5));
        await cluster.StartAllAsync();
        await using var balancer = LoadBalancer.Start(hosts.Host(9), gateway1, gateway2);
        await Eventually.TrueAsync(() => balancer.IsReady(gateway1) && balancer.IsReady(gateway2), "the balancer to see both gateways ready");

        // Two calls, so that their grains are likely spread over both silos: Alice and Bob in a call that
        // rings Carol, Dave alone in a call that rings Erin. Everyone's devices are apps behind the balancer;
        // the rung users have two each.
        var lb = balancer.Address;
        await using var alice = await VoiceUser.CreateAsync(lb, TestIds.User("alice"), "Alice");
        await using var bob = await VoiceUser.CreateAsync(lb, TestIds.User("bob"), "Bob");
        await using var carol = await VoiceUser.CreateAsync(lb, TestIds.User("carol"), "Carol");
        await using var dave = await VoiceUser.CreateAsync(lb, TestIds.User("dave"), "Dave");
        await using var erin = await VoiceUser.CreateAsync(lb, TestIds.User("erin"), "Erin");
        var devices = new Dictionary<VoiceUser, List<VoiceUser.Device>>();
        foreach (var user in new[] { alice, bob, carol, carol, dave, erin, erin })
        {
            var device = await user.ConnectAsync(lb, reconnect: true, webSocketsOnly: true);
            devices.TryAdd(user, []);
            devices[user].Add(device);
        }

        var all = devices.Values.SelectMany(d => d).ToArray();
        var trio = await alice.CreateDmAsync(bob, carol);
        var pair = await dave.CreateDmAsync(erin);
        await alice.JoinAsync(trio.Id);
        await bob.JoinAsync(trio.Id);
        await dave.JoinAsync(pair.Id);
        foreach (var device in devices[carol])
        {
            await device.WaitForAsync(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == bob.UserId);
        }

        foreach (var device in devices[erin])
        {
            await device.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("dmGroupId") == pair.Id);
        }

        var trioBefore = await alice.PresenceAsync(trio.Id);
        var pairBefore = await dave.PresenceAsync(pair.Id);
        var carolsRing = Assert.Single(trioBefore.Ringing);
        var erinsRing = Assert.Single(pairBefore.Ringing);

        // Clients keep working throughout: reads of both calls, and Dave toggling his mute (a write that
        // sends an event), through the balancer. Every answer is recorded.
        var answers = new ConcurrentQueue<string>();
        using var stopTraffic = new CancellationTokenSource();
        var traffic = Task.Run(async () =>
        {
            var muted = false;
            while (!stopTraffic.IsCancellationRequested)
            {
                await Record(answers, "GET trio", () => alice.Http.GetAsync($"/dm-groups/{trio.Id}/voice-presence"));
                await Record(answers, "GET /me/voice", () => erin.Http.GetAsync("/me/voice"));
                muted = !muted;
                await Record(answers, "PUT state", () => dave.Http.PutAsJsonAsync($"/dm-groups/{pair.Id}/voice-presence/state", new { isMuted = muted }));
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }
        });

        foreach (var process in new[] { siloA, siloB, gateway1, gateway2 })
        {
            Assert.Equal(0, await process.StopAsync());
            await process.StartAsync();
            if (process.App == DmVoiceApp.Gateway)
            {
                await Eventually.TrueAsync(() => balancer.IsReady(process), $"the balancer to see {process.Name} ready again");
            }
            else
            {
                await Task.Delay(3 * gatewayListRefresh);
            }

            await Eventually.TrueAsync(() => all.All(d => d.IsSynced), $"every device to be connected and synced after restarting {process.Name}", TimeSpan.FromSeconds(30));
        }

        await stopTraffic.CancelAsync();
        await traffic;

        // No request was answered 5xx, and none failed to get an answer.
        var failures = answers.Where(a => !a.StartsWith('2')).ToArray();
        Assert.True(failures.Length == 0, $"{failures.Length} of {answers.Count} requests failed:\n{string.Join("\n", failures.Take(20))}");
        Assert.True(answers.Count > 50, $"Only {answers.Count} requests were made.");

        // The cause of such a 503: a gateway that still shunned the restarted silo (same address and port)
        // when the next one stopped had no silo left to send to, and tried the stopping one. Orleans says so.
        Assert.All([gateway1, gateway2], g => Assert.DoesNotContain("All known gateways have been marked dead", g.Output(), StringComparison.Ordinal));

        // Nobody left either call, and both rings are the same rings, still pending.
        var trioAfter = await alice.PresenceAsync(trio.Id);
        var pairAfter = await dave.PresenceAsync(pair.Id);
        Assert.Equal(trioBefore.CallId, trioAfter.CallId);
        Assert.Equal([alice.UserId, bob.UserId], trioAfter.Participants.Select(p => p.UserId).Order());
        Assert.Equal(carolsRing, Assert.Single(trioAfter.Ringing));
        Assert.Equal(pairBefore.CallId, pairAfter.CallId);
        Assert.Equal([dave.UserId], pairAfter.Participants.Select(p => p.UserId));
        Assert.Equal(erinsRing, Assert.Single(pairAfter.Ringing));
        Assert.All(all, d => Assert.Equal(0, d.Count(VoiceEventNames.UserLeft)));
        var pendingRings = new[] { carolsRing.RingId, erinsRing.RingId };
        Assert.All(all, d => Assert.Equal(0, d.Count(VoiceEventNames.RingStopped, e => pendingRings.Contains(e.Str("ringId")))));

        // Each rung device heard its ring once, and hears it stop once: Carol declines, Erin answers.
        Assert.All(devices[carol], d => Assert.Equal(1, d.Count(VoiceEventNames.CallStarted, e => e.Str("dmGroupId") == trio.Id)));
        Assert.All(devices[erin], d => Assert.Equal(1, d.Count(VoiceEventNames.CallStarted, e => e.Str("dmGroupId") == pair.Id)));
        await VoiceUser.EnsureSuccessAsync(await carol.Http.PostAsync($"/dm-groups/{trio.Id}/call/decline", null));
        await erin.JoinAsync(pair.Id);
        foreach (var (device, ring) in devices[carol].Select(d => (d, carolsRing)).Concat(devices[erin].Select(d => (d, erinsRing))))
        {
            var stopped = await device.WaitForAsync(VoiceEventNames.RingStopped, e => e.Str("ringId") == ring.RingId, TimeSpan.FromSeconds(15));
            Assert.Equal(ring.UserId, stopped.Str("userId"));
        }

        // A repeat would come before a later event of the same call: Alice and Dave each change their
        // state once more, and every rung device sees that change before it is counted.
        await VoiceUser.EnsureSuccessAsync(await alice.Http.PutAsJsonAsync($"/dm-groups/{trio.Id}/voice-presence/state", new { isDeafened = true }));
        await VoiceUser.EnsureSuccessAsync(await dave.Http.PutAsJsonAsync($"/dm-groups/{pair.Id}/voice-presence/state", new { isDeafened = true }));
        foreach (var (device, sender) in devices[carol].Select(d => (d, alice)).Concat(devices[erin].Select(d => (d, dave))))
        {
            await device.WaitForAsync(VoiceEventNames.UserUpdated, e => e.GetProperty("user").Str("userId") == sender.UserId && e.GetProperty("user").GetProperty("isDeafened").GetBoolean());
        }

        Assert.All(devices[carol], d => Assert.Equal(1, d.Count(VoiceEventNames.RingStopped, e => e.Str("ringId") == carolsRing.RingId)));
        Assert.All(devices[erin], d => Assert.Equal(1, d.Count(VoiceEventNames.RingStopped, e => e.Str("ringId") == erinsRing.RingId)));
    }

    /// <summary>
    /// Sends a request and records its answer. A request that got no answer at all is sent once more,
    /// as API.md tells clients to (every request here is safe to repeat): the test's balancer keeps a
    /// keep-alive connection bound to one gateway, and a request sent just as that gateway stops and
    /// closes its connections gets no answer, as it would through a real balancer. Only a second
    /// failure, or any answer that is not 2xx, counts against the restart.
    /// </summary>
    private static async Task Record(ConcurrentQueue<string> answers, string what, Func<Task<HttpResponseMessage>> send)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await send();
                var body = response.StatusCode == HttpStatusCode.OK ? "" : await response.Content.ReadAsStringAsync();
                answers.Enqueue($"{(int)response.StatusCode} {what} {DateTime.UtcNow:HH:mm:ss.fff} {body}");
                return;
            }
            catch (HttpRequestException ex) when (attempt == 2)
            {
                answers.Enqueue($"no answer {what} {DateTime.UtcNow:HH:mm:ss.fff} (sent twice) {ex.Message}");
                return;
            }
            catch (HttpRequestException)
            {
                // Sent again at once: a new connection goes to a gateway the balancer sees ready.
            }
        }
    }
}
