using System.Net;
using System.Net.Http.Json;
using DmVoice.Gateway.Observability;
using DmVoice.Gateway.Tests.Api;
using Microsoft.Extensions.Time.Testing;

namespace DmVoice.Gateway.Tests.Faults;

/// <summary>
/// A Redis-mode cluster (clustering, grain state and reminders in a private, durable redis-server) whose
/// Redis stalls or dies. Requests that need storage are told it is temporary (503 with Retry-After),
/// never 500; a read that meets a brief stall is retried by the gateway and succeeds; and once Redis
/// is back, so is everything, with the state it held.
/// </summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _callTime = new(DateTimeOffset.UtcNow);
    private RedisModeGateway _cluster = null!;

    // A generous read budget: the test heals the stall once it sees the first retry, and a busy
    // machine may take a moment to do so.
    public async ValueTask InitializeAsync() => _cluster = await RedisModeGateway.StartAsync(
        durable: true, _callTime, FaultAssert.QuickTimeouts(), settings => settings["Gateway:ReadRetryBudget"] = "00:00:10");

    public async ValueTask DisposeAsync() => await (_cluster?.DisposeAsync() ?? ValueTask.CompletedTask);

    [Fact]
    public async Task With_redis_killed_requests_that_need_storage_answer_503_and_after_it_restarts_everything_works_with_the_state_it_had()
    {
        await using var alice = Rest.NewUser(_cluster.Gateway.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_cluster.Gateway.BaseAddress, "bob");
        await using var carol = Rest.NewUser(_cluster.Gateway.BaseAddress, "carol");
        var dm = await alice.CreateDmAsync(bob, carol);
        var call = await alice.JoinAsync(dm.Id);
        var bobPhone = await bob.ConnectAsync();

        await _cluster.Redis.KillAsync();

        // Each of these must store something: a new DM, a join, a change of state.
        await FaultAssert.UnavailableAsync(await alice.SendAsync("POST", "/dm-groups", $$"""{"memberIds":["{{bob.UserId}}"]}"""));
        await FaultAssert.UnavailableAsync(await carol.SendAsync("POST", $"/dm-groups/{dm.Id}/voice-presence/join"));
        await FaultAssert.UnavailableAsync(await alice.SendAsync("PUT", $"/dm-groups/{dm.Id}/voice-presence/state", """{"isMuted":true}"""));

        // A read answers from the state as it was stored, or 503 when it needs Redis for that (a grain
        // whose write failed dropped what it held in memory): never a change that was refused, never 500.
        var read = await bob.Http.GetAsync($"/dm-groups/{dm.Id}/voice-presence");
        if (read.StatusCode == HttpStatusCode.OK)
        {
            var seen = (await read.Content.ReadFromJsonAsync<CallPresence>(VoiceUser.Json))!;
            Assert.Equal(call.CallId, seen.CallId);
            Assert.Equal([alice.UserId], seen.Participants.Select(p => p.UserId));
            Assert.False(seen.Participants.Single().IsMuted);
        }
        else
        {
            await FaultAssert.UnavailableAsync(read);
        }

        // Redis comes back with its data (it keeps an append-only file, as production Redis would).
        await _cluster.Redis.RestartAsync();
        var created = await Eventually.GetAsync(
            () => alice.SendAsync("POST", "/dm-groups", $$"""{"memberIds":["{{bob.UserId}}"]}"""),
            response => response.StatusCode != HttpStatusCode.ServiceUnavailable,
            "the cluster to store again after Redis restarted",
            TimeSpan.FromSeconds(30));
        await Rest.AssertStatusAsync(created, HttpStatusCode.Created);

        // The call that was live before the outage still is, and it goes on as usual.
        var joined = await bob.JoinAsync(dm.Id);
        Assert.Equal(call.CallId, joined.CallId);
        await bobPhone.WaitForAsync(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == bob.UserId);
        var presence = await carol.PresenceAsync(dm.Id);
        Assert.Equal(call.CallId, presence.CallId);
        Assert.Contains(alice.UserId, presence.Participants.Select(p => p.UserId));
        Assert.Contains(bob.UserId, presence.Participants.Select(p => p.UserId));
        Assert.Equal([dm.Id], (await carol.ListDmsAsync()).DmGroups.Select(g => g.Id));
    }

    [Fact]
    public async Task A_read_that_meets_a_brief_redis_stall_is_retried_by_the_gateway_and_succeeds()
    {
        await using var newcomer = Rest.NewUser(_cluster.Gateway.BaseAddress, "newcomer");
        using var retries = new MeterProbe(_cluster.Gateway, "dmvoice.gateway.read_retries", "surface");

        // Redis stops answering anyone; loading the newcomer's (never used) grain times out.
        await _cluster.Redis.FreezeAsync();
        var read = newcomer.Http.GetAsync("/me/missed-calls");

        // The stall ends while the gateway is between tries: the client never learns of it.
        try
        {
            await Eventually.TrueAsync(() => retries["rest"] >= 1, "the gateway to retry the read", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await _cluster.Redis.ThawAsync();
        }

        var response = await read;
        await Rest.AssertStatusAsync(response, HttpStatusCode.OK);
        var page = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal(0, page.GetProperty("calls").GetArrayLength());
    }

    [Fact]
    public async Task A_write_while_redis_is_paused_for_writes_answers_503_while_reads_still_answer()
    {
        await using var alice = Rest.NewUser(_cluster.Gateway.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_cluster.Gateway.BaseAddress, "bob");
        var dm = await alice.CreateDmAsync(bob);
        await alice.JoinAsync(dm.Id);

        await _cluster.Redis.CommandAsync("CLIENT", "PAUSE", "60000", "WRITE");
        try
        {
            await FaultAssert.UnavailableAsync(await alice.SendAsync("POST", "/dm-groups", $$"""{"memberIds":["{{bob.UserId}}"],"name":"new"}"""));

            // Reading what is already there needs no write.
            var presence = await bob.PresenceAsync(dm.Id);
            Assert.Equal([alice.UserId], presence.Participants.Select(p => p.UserId));
        }
        finally
        {
            await _cluster.Redis.CommandAsync("CLIENT", "UNPAUSE");
        }
    }

    [Fact]
    public async Task A_device_that_closes_while_redis_is_down_is_still_let_go_and_its_user_leaves_the_call_after_the_grace()
    {
        await using var alice = Rest.NewUser(_cluster.Gateway.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_cluster.Gateway.BaseAddress, "bob");
        var dm = await alice.CreateDmAsync(bob);
        var alicePhone = await alice.ConnectAsync();
        var bobPhone = await bob.ConnectAsync();
        await alice.JoinAsync(dm.Id);
        await bob.JoinAsync(dm.Id);
        using var presence = new MeterProbe(_cluster.Gateway, GatewayMetrics.PresenceMessagesInstrument, "kind");

        // Alice's only device closes while her grain cannot store that.
        await _cluster.Redis.KillAsync();
        await alicePhone.StopAsync();
        await _cluster.Gateway.WaitUntilOfflineAsync(alice.UserId);
        await Eventually.TrueAsync(() => presence["connection_closed_retry"] >= 1, "the gateway to retry telling alice's grain");

        // Redis is back: the gateway's retry gets through, and the disconnect grace runs as usual.
        await _cluster.Redis.RestartAsync();
        await Eventually.TrueAsync(() => presence["connection_closed"] >= 1, "alice's grain to hear that her device closed", TimeSpan.FromSeconds(60));
        _callTime.Advance(TimeSpan.FromSeconds(30));
        var left = await bobPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == alice.UserId, TimeSpan.FromSeconds(30));
        Assert.Equal(LeaveReasons.Disconnected, left.Str("reason"));
        Assert.Equal([bob.UserId], (await bob.PresenceAsync(dm.Id)).Participants.Select(p => p.UserId));
    }
}
