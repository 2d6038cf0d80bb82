using System.Net;
using System.Net.Http.Json;

namespace DmVoice.Gateway.Tests;

/// <summary>The seed's flow end to end: real HTTP, real SignalR connections, the embedded silo.</summary>
public sealed class SeedFlowTests : IAsyncLifetime
{
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_call_rings_every_device_of_every_member_and_everyone_follows_it_live()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        await using var c = await VoiceUser.CreateAsync(_server, "carol");
        var dm = await a.CreateDmAsync(b, c);
        var bPhone = await b.ConnectAsync();
        var bDesktop = await b.ConnectAsync();
        var cPhone = await c.ConnectAsync();

        var started = await a.JoinAsync(dm.Id);
        Assert.True(started.CallStarted);
        foreach (var device in new[] { bPhone, bDesktop, cPhone })
        {
            var evt = await device.WaitForAsync(VoiceEventNames.CallStarted);
            Assert.Equal(dm.Id, evt.Str("dmGroupId"));
            Assert.Equal(started.CallId, evt.Str("callId"));
            Assert.Equal(a.UserId, evt.GetProperty("user").Str("userId"));
            Assert.Equal("alice", evt.GetProperty("user").Str("displayName"));
            Assert.Equal(2, evt.GetProperty("ringing").GetArrayLength());
        }

        var joined = await b.JoinAsync(dm.Id, new { isMuted = true });
        Assert.False(joined.CallStarted);
        Assert.True(joined.User.IsMuted);
        await cPhone.WaitForAsync(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == b.UserId);

        var mute = await a.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/state", new { isMuted = true, isVideoEnabled = true });
        Assert.Equal(HttpStatusCode.OK, mute.StatusCode);
        var updated = await bDesktop.WaitForAsync(VoiceEventNames.UserUpdated);
        Assert.True(updated.GetProperty("user").GetProperty("isMuted").GetBoolean());
        Assert.True(updated.GetProperty("user").GetProperty("isVideoEnabled").GetBoolean());

        var presence = await c.PresenceAsync(dm.Id);
        Assert.Equal([a.UserId, b.UserId], presence.Participants.Select(p => p.UserId));

        await a.LeaveAsync(dm.Id);
        var left = await cPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == a.UserId);
        Assert.Equal(LeaveReasons.Left, left.Str("reason"));
        await b.LeaveAsync(dm.Id);
        await cPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == b.UserId);

        _server.Time.Advance(TimeSpan.FromSeconds(10));
        var ended = await bPhone.WaitForAsync(VoiceEventNames.CallEnded);
        Assert.Equal(CallEndReasons.Ended, ended.Str("reason"));
        Assert.Equal(started.CallId, ended.Str("callId"));
        Assert.True(ended.GetProperty("durationMs").GetInt64() >= 10_000);

        // Versions on one device are gap-free for this DM.
        var versions = cPhone.Events.Select(e => e.Payload.GetProperty("version").GetInt64()).ToArray();
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(versions[^1] - versions[0] + 1, versions.Length);
    }

    [Fact]
    public async Task A_user_whose_devices_all_drop_leaves_the_call_after_the_grace_unless_one_returns()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        var dm = await a.CreateDmAsync(b);
        var bPhone = await b.ConnectAsync();
        var aPhone = await a.ConnectAsync();
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);

        // Drop and come back within the grace: still in the call.
        await aPhone.StopAsync();
        await _server.WaitUntilOfflineAsync(a.UserId);
        _server.Time.Advance(TimeSpan.FromSeconds(20));
        var aLaptop = await a.ConnectAsync();
        _server.Time.Advance(TimeSpan.FromSeconds(20));
        Assert.Contains(a.UserId, (await b.PresenceAsync(dm.Id)).Participants.Select(p => p.UserId));

        // Drop for good: out after 30 s.
        await aLaptop.StopAsync();
        await _server.WaitUntilOfflineAsync(a.UserId);
        _server.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Contains(a.UserId, (await b.PresenceAsync(dm.Id)).Participants.Select(p => p.UserId));
        _server.Time.Advance(TimeSpan.FromSeconds(1));
        var left = await bPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == a.UserId);
        Assert.Equal(LeaveReasons.Disconnected, left.Str("reason"));
        Assert.Equal(0, bPhone.Count(VoiceEventNames.UserLeft, e => e.Str("reason") == LeaveReasons.Disconnected && e.Str("userId") == b.UserId));
    }

    [Fact]
    public async Task Me_voice_tells_a_reconnecting_client_its_call_and_the_live_calls_in_its_dms()
    {
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        await using var c = await VoiceUser.CreateAsync(_server, "carol");
        var ab = await a.CreateDmAsync(b);
        var bc = await b.CreateDmAsync(c);
        await a.JoinAsync(ab.Id);
        await c.JoinAsync(bc.Id);

        var overview = await b.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json);
        Assert.Null(overview!.ActiveCall);
        Assert.Equal(new[] { ab.Id, bc.Id }.Order(), overview.LiveCalls.Select(p => p.DmGroupId).Order());
        var ringingB = overview.LiveCalls.Single(p => p.DmGroupId == ab.Id).Ringing.Single();
        Assert.Equal(b.UserId, ringingB.UserId);
        Assert.True(ringingB.ExpiresAt > _server.Time.GetUtcNow());

        var mine = await a.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json);
        Assert.Equal(new ActiveCall(CallKinds.Dm, ab.Id, null, null), mine!.ActiveCall);
    }
}
