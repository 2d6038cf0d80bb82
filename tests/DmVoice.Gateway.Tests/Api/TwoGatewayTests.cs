using System.Net;
using System.Net.Http.Json;

namespace DmVoice.Gateway.Tests.Api;

/// <summary>
/// A standalone silo and two gateways that are plain cluster clients (Gateway:CoHostSilo=false):
/// a device on one gateway hears what REST calls through the other one did.
/// </summary>
public sealed class TwoGatewayTests : IAsyncLifetime
{
    private readonly StandaloneSilo _silo = new();
    private GatewayServer _first = null!;
    private GatewayServer _second = null!;

    public async ValueTask InitializeAsync()
    {
        await _silo.StartAsync();
        _first = await _silo.StartGatewayAsync();
        _second = await _silo.StartGatewayAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_second is not null)
        {
            await _second.DisposeAsync();
        }

        if (_first is not null)
        {
            await _first.DisposeAsync();
        }

        await _silo.DisposeAsync();
    }

    [Fact]
    public async Task A_device_on_one_gateway_sees_calls_started_and_joined_through_the_other()
    {
        // Both gateways are ready: they reach the cluster, and neither hosts a silo of its own.
        using var probe = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync(new Uri(_first.BaseAddress, "/health/ready"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync(new Uri(_second.BaseAddress, "/health/ready"))).StatusCode);

        // Tokens from either gateway work on both: they share Auth:SigningKey.
        await using var alice = await VoiceUser.CreateAsync(_second.BaseAddress, TestIds.User("alice"), "Alice");
        await using var bob = await VoiceUser.CreateAsync(_first.BaseAddress, TestIds.User("bob"), "Bob");
        await using var carol = await VoiceUser.CreateAsync(_second.BaseAddress, TestIds.User("carol"), "Carol");
        var bobOnFirst = await bob.ConnectAsync(_first.BaseAddress);
        var bobOnSecond = await bob.ConnectAsync(_second.BaseAddress);

        // Alice and Carol only ever talk to the second gateway (carol's client is bound to it).
        var dm = await alice.CreateDmAsync(bob, carol);
        var started = await alice.JoinAsync(dm.Id);
        Assert.True(started.CallStarted);

        foreach (var device in new[] { bobOnFirst, bobOnSecond })
        {
            var callStarted = await device.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("dmGroupId") == dm.Id);
            Assert.Equal(started.CallId, callStarted.Str("callId"));
            Assert.Equal(alice.UserId, callStarted.GetProperty("user").Str("userId"));
            Assert.Equal("Alice", callStarted.GetProperty("user").Str("displayName"));
        }

        await carol.JoinAsync(dm.Id, new { isMuted = true });
        var joined = await bobOnFirst.WaitForAsync(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == carol.UserId);
        Assert.Equal(started.CallId, joined.Str("callId"));
        Assert.True(joined.GetProperty("user").GetProperty("isMuted").GetBoolean());

        // Bob answers through the first gateway; Alice's state read through the second agrees.
        var bobJoin = await bob.JoinAsync(dm.Id);
        Assert.Equal(started.CallId, bobJoin.CallId);
        var presence = await alice.PresenceAsync(dm.Id);
        Assert.Equal(new[] { alice.UserId, carol.UserId, bob.UserId }, presence.Participants.Select(p => p.UserId));

        // A device that connects to the first gateway later syncs the call made through the second.
        await using var carolLate = VoiceUser.WithToken(_first.BaseAddress, carol.UserId, carol.Token);
        var carolOnFirst = await carolLate.ConnectAsync();
        Assert.Equal(new ActiveCall(CallKinds.Dm, dm.Id, null, null), carolOnFirst.Synced!.ActiveCall);

        var update = await carol.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/state", new { isVideoEnabled = true });
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        await bobOnFirst.WaitForAsync(VoiceEventNames.UserUpdated, e => e.GetProperty("user").Str("userId") == carol.UserId);
        await carolOnFirst.WaitForAsync(VoiceEventNames.UserUpdated, e => e.GetProperty("user").Str("userId") == carol.UserId);

        // Versions on each device are in order with no gaps, whichever gateway delivered them.
        foreach (var device in new[] { bobOnFirst, bobOnSecond })
        {
            var versions = device.Events.Where(e => e.Payload.Str("dmGroupId") == dm.Id).Select(e => e.Payload.GetProperty("version").GetInt64()).ToArray();
            Assert.Equal(versions.Order(), versions);
            Assert.Equal(versions[^1] - versions[0] + 1, versions.Length);
        }
    }
}
