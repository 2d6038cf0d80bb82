using System.Diagnostics;
using DmVoice.TestSupport.LiveKit;

namespace DmVoice.Gateway.Tests.LiveKit;

/// <summary>
/// The periodic ListParticipants sweep of a live call repairs missed webhooks. It runs on real time
/// (every 200 ms here, with 500 ms to connect media), unlike call deadlines.
/// </summary>
public sealed class LiveKitSweepTests(FastSweepLiveKitGatewayFixture fixture) : IClassFixture<FastSweepLiveKitGatewayFixture>
{
    private GatewayServer Server => fixture.Server;

    private FakeLiveKitServer LiveKit => fixture.LiveKit;

    [Fact]
    public async Task A_participant_missing_from_the_room_after_the_grace_is_removed_as_disconnected()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        await using var c = await VoiceUser.CreateAsync(Server, "carol");
        var dm = await a.CreateDmAsync(b, c);
        var room = LiveKitHttp.Room(dm.Id);
        var aPhone = await a.ConnectAsync();
        LiveKit.AddParticipant(room, a.UserId);
        await a.JoinAsync(dm.Id);

        var clock = Stopwatch.StartNew();
        await c.JoinAsync(dm.Id);
        var left = await aPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == c.UserId);

        Assert.Equal(LeaveReasons.Disconnected, left.Str("reason"));
        Assert.True(clock.Elapsed >= FastSweepLiveKitGatewayFixture.AbsenceGrace, $"removed after {clock.Elapsed}, before the grace");
        await LiveKit.WaitForCallAsync("ListParticipants", x => x.Room == room && x.StatusCode == 200);

        // Alice is in the room: she stays, sweep after sweep.
        await Task.Delay(FastSweepLiveKitGatewayFixture.AbsenceGrace * 2);
        Assert.Equal([a.UserId], (await a.PresenceAsync(dm.Id)).Participants.Select(p => p.UserId));
        Assert.Equal(0, aPhone.Count(VoiceEventNames.UserLeft, e => e.Str("userId") == a.UserId));
    }

    [Fact]
    public async Task A_member_only_in_the_room_is_joined_under_their_own_name_and_a_stranger_is_removed_from_the_room()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        await using var stranger = await VoiceUser.CreateAsync(Server, "stranger");
        await b.Http.GetAsync("/me/voice"); // Bob has used DmVoice with his token, so his own name is known.
        var dm = await a.CreateDmAsync(b);
        var room = LiveKitHttp.Room(dm.Id);
        var aPhone = await a.ConnectAsync();
        LiveKit.AddParticipant(room, a.UserId);
        await a.JoinAsync(dm.Id);

        var strangerSeen = Stopwatch.StartNew();
        LiveKit.AddParticipant(room, stranger.UserId);
        LiveKit.AddParticipant(room, b.UserId, "Not Bob (chosen by the client)");

        var joined = await aPhone.WaitForAsync(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == b.UserId);
        Assert.Equal("bob", joined.GetProperty("user").Str("displayName"));

        // The stranger's media goes, after the grace (a webhook would have removed them at once).
        await LiveKit.WaitForCallAsync("RemoveParticipant", x => x.Room == room && x.Identity == stranger.UserId && x.StatusCode == 200);
        Assert.True(strangerSeen.Elapsed >= FastSweepLiveKitGatewayFixture.AbsenceGrace, $"removed after {strangerSeen.Elapsed}, before the grace");
        await Task.Delay(FastSweepLiveKitGatewayFixture.SweepInterval * 3);
        var presence = await a.PresenceAsync(dm.Id);
        Assert.Equal(new[] { a.UserId, b.UserId }.Order(), presence.Participants.Select(p => p.UserId).Order());
        Assert.Equal(1, aPhone.Count(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == b.UserId));
        Assert.DoesNotContain(LiveKit.Calls, x => x.Method == "RemoveParticipant" && x.Room == room && x.Identity != stranger.UserId);
    }

    [Fact]
    public async Task A_member_who_left_is_not_pulled_back_by_media_that_has_not_hung_up_yet()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        var room = LiveKitHttp.Room(dm.Id);
        var aPhone = await a.ConnectAsync();
        LiveKit.AddParticipant(room, a.UserId);
        LiveKit.AddParticipant(room, b.UserId);
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);

        await Task.Delay(1100); // LiveKit's joinedAt has whole seconds: make the leave clearly later.
        await b.LeaveAsync(dm.Id);
        await Task.Delay(FastSweepLiveKitGatewayFixture.SweepInterval * 4);

        Assert.Equal([a.UserId], (await a.PresenceAsync(dm.Id)).Participants.Select(p => p.UserId));
        Assert.Equal(1, aPhone.Count(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == b.UserId));

        // And the room holds only participants: the media that did not hang up is cut.
        await LiveKit.WaitForCallAsync("RemoveParticipant", x => x.Room == room && x.Identity == b.UserId && x.StatusCode == 200);
    }

    [Fact]
    public async Task While_LiveKit_is_unreachable_the_sweep_removes_nobody_and_joins_still_work()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        var room = LiveKitHttp.Room(dm.Id);
        var aPhone = await a.ConnectAsync();

        LiveKit.FailNextRequests(100_000);
        try
        {
            await a.JoinAsync(dm.Id);
            await b.JoinAsync(dm.Id);
            await LiveKit.WaitForCallAsync("ListParticipants", x => x.Room == room && x.StatusCode == 503);
            await Task.Delay(FastSweepLiveKitGatewayFixture.AbsenceGrace * 3);
            Assert.Equal(2, (await a.PresenceAsync(dm.Id)).Participants.Count);
        }
        finally
        {
            LiveKit.FailNextRequests(0);
        }

        // Back again, and neither is in the room: both go, as disconnected.
        var left = await aPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == b.UserId);
        Assert.Equal(LeaveReasons.Disconnected, left.Str("reason"));
    }

    [Fact]
    public async Task The_sweep_stops_when_the_call_ends()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        var room = LiveKitHttp.Room(dm.Id);
        var aPhone = await a.ConnectAsync();
        LiveKit.AddParticipant(room, a.UserId);
        await a.JoinAsync(dm.Id);
        await LiveKit.WaitForCallAsync("ListParticipants", x => x.Room == room);

        await Server.DeliverAsync(LiveKit.CreateWebhook("room_finished", room));
        await aPhone.WaitForAsync(VoiceEventNames.CallEnded);
        await Task.Delay(FastSweepLiveKitGatewayFixture.SweepInterval * 2);
        var count = LiveKit.Calls.Count(x => x.Method == "ListParticipants" && x.Room == room);
        await Task.Delay(FastSweepLiveKitGatewayFixture.SweepInterval * 3);
        Assert.Equal(count, LiveKit.Calls.Count(x => x.Method == "ListParticipants" && x.Room == room));
    }
}
