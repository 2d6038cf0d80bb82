using System.Net.Http.Json;
using DmVoice.Gateway.Tests.LiveKit;
using DmVoice.TestSupport.LiveKit;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DmVoice.Gateway.Tests.Promises;

/// <summary>docs/API.md on rings and on presence that follows devices, checked for their effect.</summary>
public sealed class RingPromiseTests
{
    [Fact]
    public async Task A_device_that_connects_during_a_ring_learns_of_it_from_sync_with_how_long_is_left()
    {
        await using var server = await GatewayServer.StartAsync();
        await using var a = await VoiceUser.CreateAsync(server, "alice");
        await using var b = await VoiceUser.CreateAsync(server, "bob");
        var dm = await a.CreateDmAsync(b);
        await a.ConnectAsync();
        var startedAt = server.Time.GetUtcNow();
        var call = await a.JoinAsync(dm.Id);
        server.Time.Advance(TimeSpan.FromSeconds(12));

        var laptop = await b.ConnectAsync();

        var live = laptop.Synced!.LiveCalls.Single(p => p.DmGroupId == dm.Id);
        Assert.Equal(call.CallId, live.CallId);
        var ring = live.Ringing.Single();
        Assert.Equal(b.UserId, ring.UserId);
        Assert.Equal(startedAt + TimeSpan.FromSeconds(30), ring.ExpiresAt);
        Assert.Equal(TimeSpan.FromSeconds(18), ring.ExpiresAt - server.Time.GetUtcNow());

        // The ring the laptop learnt of is the one that then stops on it.
        server.Time.Advance(TimeSpan.FromSeconds(18));
        var stopped = await laptop.WaitForAsync(VoiceEventNames.RingStopped, e => e.Str("userId") == b.UserId);
        Assert.Equal(ring.RingId, stopped.Str("ringId"));
        Assert.Equal(RingOutcomes.Missed, stopped.Str("outcome"));
    }

    [Theory]
    [InlineData("00:00:04.999")]
    [InlineData("00:02:00.001")]
    [InlineData("00:00:00")]
    public async Task A_ring_timeout_outside_5_to_120_seconds_stops_the_gateway_from_starting(string timeout)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => GatewayServer.StartAsync(s => s["Calls:RingTimeout"] = timeout));
        Assert.Contains("Calls:RingTimeout", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(120)]
    public async Task A_ring_timeout_at_either_bound_is_how_long_a_recipient_rings(int seconds)
    {
        await using var server = await GatewayServer.StartAsync(s => s["Calls:RingTimeout"] = TimeSpan.FromSeconds(seconds).ToString());
        await using var a = await VoiceUser.CreateAsync(server, "alice");
        await using var b = await VoiceUser.CreateAsync(server, "bob");
        var dm = await a.CreateDmAsync(b);
        var bPhone = await b.ConnectAsync();

        // Alice keeps a device connected: a caller without one would leave after the 30 s disconnect grace.
        await a.ConnectAsync();
        var startedAt = server.Time.GetUtcNow();
        await a.JoinAsync(dm.Id);

        var started = await bPhone.WaitForAsync(VoiceEventNames.CallStarted);
        Assert.Equal(startedAt.AddSeconds(seconds), started.GetProperty("ringing")[0].GetProperty("expiresAt").GetDateTimeOffset());
        server.Time.Advance(TimeSpan.FromSeconds(seconds) - TimeSpan.FromMilliseconds(1));
        Assert.Single((await b.PresenceAsync(dm.Id)).Ringing);

        server.Time.Advance(TimeSpan.FromMilliseconds(1));
        await bPhone.WaitForAsync(VoiceEventNames.RingStopped, e => e.Str("outcome") == RingOutcomes.Missed);
        var ended = await bPhone.WaitForAsync(VoiceEventNames.CallEnded);
        Assert.Equal(CallEndReasons.NoAnswer, ended.Str("reason"));
    }
}

/// <summary>
/// A user's devices spread over two gateways of one cluster: the seat lasts while any of them is
/// connected, and the disconnect grace starts only when the last one closes, wherever it was.
/// </summary>
public sealed class DevicesOnTwoGatewaysTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _callTime = new(DateTimeOffset.UtcNow);
    private StandaloneSilo _silo = null!;
    private GatewayServer _east = null!;
    private GatewayServer _west = null!;

    public async ValueTask InitializeAsync()
    {
        _silo = new StandaloneSilo(_callTime);
        await _silo.StartAsync();
        _east = await _silo.StartGatewayAsync();
        _west = await _silo.StartGatewayAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _west.DisposeAsync();
        await _east.DisposeAsync();
        await _silo.DisposeAsync();
    }

    private async Task<bool> InCallAsync(VoiceUser viewer, string dmGroupId, VoiceUser user) =>
        (await viewer.PresenceAsync(dmGroupId)).Participants.Any(p => p.UserId == user.UserId);

    [Fact]
    public async Task The_disconnect_grace_starts_only_when_the_users_last_device_closes_on_either_gateway()
    {
        await using var a = await VoiceUser.CreateAsync(_east.BaseAddress, TestIds.User("alice"), "Alice");
        await using var b = await VoiceUser.CreateAsync(_east.BaseAddress, TestIds.User("bob"), "Bob");
        var dm = await a.CreateDmAsync(b);
        var aOnEast = await a.ConnectAsync(_east.BaseAddress);
        var aOnWest = await a.ConnectAsync(_west.BaseAddress);
        var bOnWest = await b.ConnectAsync(_west.BaseAddress);
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);

        // The east device goes; the west one holds the seat however long it takes.
        await aOnEast.StopAsync();
        await _east.WaitUntilOfflineAsync(a.UserId);
        _callTime.Advance(TimeSpan.FromMinutes(5));
        Assert.True(await InCallAsync(b, dm.Id, a));

        // The west device goes too: the grace starts now, and a device back on the east gateway in time keeps the seat.
        await aOnWest.StopAsync();
        await _west.WaitUntilOfflineAsync(a.UserId);
        _callTime.Advance(TimeSpan.FromSeconds(20));
        var aBack = await a.ConnectAsync(_east.BaseAddress);
        Assert.Equal(new ActiveCall(CallKinds.Dm, dm.Id, null, null), aBack.Synced!.ActiveCall);
        _callTime.Advance(TimeSpan.FromMinutes(5));
        Assert.True(await InCallAsync(b, dm.Id, a));

        // That one goes as well, and this time nothing comes back: out after 30 s.
        await aBack.StopAsync();
        await _east.WaitUntilOfflineAsync(a.UserId);
        _callTime.Advance(TimeSpan.FromSeconds(29));
        Assert.True(await InCallAsync(b, dm.Id, a));
        _callTime.Advance(TimeSpan.FromSeconds(1));
        var left = await bOnWest.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == a.UserId);
        Assert.Equal(LeaveReasons.Disconnected, left.Str("reason"));
        Assert.Equal(1, bOnWest.Count(VoiceEventNames.UserLeft, e => e.Str("userId") == a.UserId));
    }
}

/// <summary>DmVoice tells LiveKit when it takes someone out of a call because their devices are gone.</summary>
public sealed class DisconnectedMediaTests(LiveKitGatewayFixture fixture) : IClassFixture<LiveKitGatewayFixture>
{
    [Fact]
    public async Task A_user_who_leaves_as_disconnected_is_removed_from_the_LiveKit_room()
    {
        var server = fixture.Server;
        await using var a = await VoiceUser.CreateAsync(server, "alice");
        await using var b = await VoiceUser.CreateAsync(server, "bob");
        var dm = await a.CreateDmAsync(b);
        var room = LiveKitHttp.Room(dm.Id);
        var aPhone = await a.ConnectAsync();
        var bPhone = await b.ConnectAsync();
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);
        fixture.LiveKit.AddParticipant(room, a.UserId);

        // Alice's app dies; her media may linger in the room, so DmVoice asks LiveKit to drop it.
        await aPhone.StopAsync();
        await server.WaitUntilOfflineAsync(a.UserId);
        server.Time.Advance(TimeSpan.FromSeconds(30));
        var left = await bPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == a.UserId);
        Assert.Equal(LeaveReasons.Disconnected, left.Str("reason"));

        var removal = await fixture.LiveKit.WaitForCallAsync("RemoveParticipant", c => c.Room == room && c.Identity == a.UserId);
        Assert.Equal(200, removal.StatusCode);
        Assert.DoesNotContain(a.UserId, fixture.LiveKit.Rooms[room]);
        Assert.Contains(b.UserId, (await b.Http.GetFromJsonAsync<CallPresence>($"/dm-groups/{dm.Id}/voice-presence", VoiceUser.Json))!.Participants.Select(p => p.UserId));
    }
}
