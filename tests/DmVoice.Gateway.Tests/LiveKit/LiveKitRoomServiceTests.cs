using System.Net;
using DmVoice.Grains.LiveKit;
using DmVoice.LiveKit;
using DmVoice.TestSupport.LiveKit;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Gateway.Tests.LiveKit;

/// <summary>
/// What the silo tells LiveKit's RoomService when DmVoice changes a call: commands the call owes
/// LiveKit, stored with the call and retried with backoff.
/// </summary>
public sealed class LiveKitRoomServiceTests(FastRetryLiveKitGatewayFixture fixture) : IClassFixture<FastRetryLiveKitGatewayFixture>
{
    private GatewayServer Server => fixture.Server;

    private FakeLiveKitServer LiveKit => fixture.LiveKit;

    [Fact]
    public void The_gateway_and_its_co_hosted_silo_share_one_set_of_LiveKit_services()
    {
        var services = Server.Services;
        Assert.Single(services.GetServices<ILiveKitTokenIssuer>());
        Assert.Single(services.GetServices<WebhookReceiver>());
        Assert.Single(services.GetServices<LiveKitConfigured>());
    }

    [Fact]
    public async Task Removing_a_member_from_the_dm_removes_their_media()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        await using var c = await VoiceUser.CreateAsync(Server, "carol");
        var dm = await a.CreateDmAsync(b, c);
        var room = LiveKitHttp.Room(dm.Id);
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);
        LiveKit.AddParticipant(room, b.UserId);

        await VoiceUser.EnsureSuccessAsync(await a.Http.DeleteAsync($"/dm-groups/{dm.Id}/members/{b.UserId}"));

        var call = await LiveKit.WaitForCallAsync("RemoveParticipant", c => c.Room == room && c.Identity == b.UserId);
        Assert.Equal(200, call.StatusCode);
        Assert.Equal(room, call.GrantedRoom);
        Assert.DoesNotContain(b.UserId, LiveKit.Rooms[room]);
    }

    [Fact]
    public async Task Moving_to_another_call_removes_the_media_from_the_first_room_but_leaving_does_not()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        await using var c = await VoiceUser.CreateAsync(Server, "carol");
        var ab = await a.CreateDmAsync(b);
        var ac = await a.CreateDmAsync(c);
        await b.JoinAsync(ab.Id);
        await a.JoinAsync(ab.Id);

        await a.JoinAsync(ac.Id);

        await LiveKit.WaitForCallAsync("RemoveParticipant", x => x.Room == LiveKitHttp.Room(ab.Id) && x.Identity == a.UserId);

        // Leaving on one's own is the client's business: it hangs up its media itself.
        await a.LeaveAsync(ac.Id);
        await b.LeaveAsync(ab.Id);
        await Task.Delay(300);
        Assert.DoesNotContain(LiveKit.Calls, x => x.Method == "RemoveParticipant" && x.Room == LiveKitHttp.Room(ac.Id));
        Assert.DoesNotContain(LiveKit.Calls, x => x.Method == "RemoveParticipant" && x.Identity == b.UserId);
    }

    [Fact]
    public async Task A_call_that_ends_deletes_its_room()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        await using var c = await VoiceUser.CreateAsync(Server, "carol");
        var dm = await a.CreateDmAsync(b, c);
        var room = LiveKitHttp.Room(dm.Id);
        LiveKit.AddRoom(room);
        await a.JoinAsync(dm.Id);
        await a.LeaveAsync(dm.Id);

        Server.Time.Advance(TimeSpan.FromSeconds(10));

        var call = await LiveKit.WaitForCallAsync("DeleteRoom", x => x.Room == room);
        Assert.Equal(200, call.StatusCode);
        Assert.False(LiveKit.Rooms.ContainsKey(room));
    }

    [Fact]
    public async Task Commands_retried_while_LiveKit_is_unavailable_are_counted_by_outcome_with_how_long_they_were_owed()
    {
        // The meter is process-wide (MediaCommands is static): other tests of this process add to it too.
        using var metrics = new MetricReader(Server, "dmvoice.livekit.command.attempts", "dmvoice.livekit.command.age");
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        await using var c = await VoiceUser.CreateAsync(Server, "carol");
        var dm = await a.CreateDmAsync(b, c);
        var room = LiveKitHttp.Room(dm.Id);
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);
        LiveKit.AddParticipant(room, b.UserId);
        var scrape = await PrometheusText.ScrapeAsync(Server.ManagementAddress);
        Assert.NotNull(PrometheusText.Sum(scrape, "dmvoice_livekit_command_attempts_total", ("kind", "remove_participant"), ("outcome", "gave_up")));

        LiveKit.FailNextRequests(2);
        await VoiceUser.EnsureSuccessAsync(await a.Http.DeleteAsync($"/dm-groups/{dm.Id}/members/{b.UserId}"));
        await LiveKit.WaitForCallAsync("RemoveParticipant", x => x.Room == room && x.Identity == b.UserId && x.StatusCode == 200);

        (string, string)[] done = [("kind", "remove_participant"), ("outcome", "done")];
        await Eventually.TrueAsync(
            () => metrics.Sum("dmvoice.livekit.command.attempts", ("kind", "remove_participant"), ("outcome", "retry")) >= 2
                && metrics.Sum("dmvoice.livekit.command.attempts", done) >= 1,
            "two retries and the final attempt to be counted");
        // Owed for well under a minute: not what DmVoiceLiveKitCommandsOwed is about.
        var (count, withinAMinute) = metrics.Histogram("dmvoice.livekit.command.age", 60, done);
        Assert.True(count >= 1);
        Assert.Equal(count, withinAMinute);
        // The exporter serves a cached scrape for a short while: ask until a fresh one shows the series.
        await Eventually.GetAsync(
            () => PrometheusText.ScrapeAsync(Server.ManagementAddress),
            text => PrometheusText.Sum(text, "dmvoice_livekit_command_age_seconds_bucket", [.. done, ("le", "60")]) is not null,
            "the age of the command that went through on /metrics");
    }

    [Fact]
    public async Task A_command_is_retried_while_LiveKit_is_unavailable_and_a_join_never_waits_for_it()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        await using var c = await VoiceUser.CreateAsync(Server, "carol");
        var dm = await a.CreateDmAsync(b, c);
        var room = LiveKitHttp.Room(dm.Id);
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);
        LiveKit.AddParticipant(room, b.UserId);

        LiveKit.FailNextRequests(3);
        await VoiceUser.EnsureSuccessAsync(await a.Http.DeleteAsync($"/dm-groups/{dm.Id}/members/{b.UserId}"));
        await c.JoinAsync(dm.Id);

        var done = await LiveKit.WaitForCallAsync("RemoveParticipant", x => x.Room == room && x.Identity == b.UserId && x.StatusCode == 200);
        var attempts = LiveKit.Calls.Where(x => x.Method == "RemoveParticipant" && x.Room == room && x.Identity == b.UserId).ToArray();
        Assert.Equal([503, 503, 503, 200], attempts.Select(x => x.StatusCode));
        Assert.Same(done, attempts[^1]);
        Assert.DoesNotContain(b.UserId, LiveKit.Rooms[room]);
    }

    [Fact]
    public async Task A_rejoin_cancels_a_removal_still_waiting_for_LiveKit()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var ab = await a.CreateDmAsync(b);
        await using var c = await VoiceUser.CreateAsync(Server, "carol");
        var bc = await b.CreateDmAsync(c);
        await a.JoinAsync(ab.Id);
        await b.JoinAsync(ab.Id);

        // LiveKit is down for a while; bob moves away and straight back.
        LiveKit.FailNextRequests(1000, HttpStatusCode.ServiceUnavailable);
        await b.JoinAsync(bc.Id);
        await LiveKit.WaitForCallAsync("RemoveParticipant", x => x.Room == LiveKitHttp.Room(ab.Id) && x.Identity == b.UserId);
        await b.JoinAsync(ab.Id);
        LiveKit.FailNextRequests(0);
        LiveKit.AddParticipant(LiveKitHttp.Room(ab.Id), b.UserId);

        // The removal from bc (he moved out of it) still goes through; the stale one from ab does not.
        await LiveKit.WaitForCallAsync("RemoveParticipant", x => x.Room == LiveKitHttp.Room(bc.Id) && x.Identity == b.UserId && x.StatusCode != 503);
        await Task.Delay(500);
        Assert.DoesNotContain(LiveKit.Calls, x => x.Method == "RemoveParticipant" && x.Room == LiveKitHttp.Room(ab.Id) && x.StatusCode != 503);
        Assert.Contains(b.UserId, LiveKit.Rooms[LiveKitHttp.Room(ab.Id)]);
    }
}
