using System.Net;
using DmVoice.Gateway.Tests.Faults;
using DmVoice.LiveKit;
using DmVoice.TestSupport.LiveKit;

namespace DmVoice.Gateway.Tests.LiveKit;

/// <summary>
/// Webhooks that cannot be applied now, and webhooks that arrive late. A failed apply is answered with
/// an error and forgotten, so LiveKit's redelivery of the same event is applied; old news never undoes
/// newer state.
/// </summary>
public sealed class LiveKitWebhookFaultTests(FaultyLiveKitGatewayFixture fixture) : IClassFixture<FaultyLiveKitGatewayFixture>
{
    private GatewayServer Server => fixture.Server;

    private FakeLiveKitServer LiveKit => fixture.LiveKit;

    [Fact]
    public async Task A_webhook_whose_apply_fails_with_a_bug_answers_500_and_LiveKits_redelivery_is_applied()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        var aPhone = await a.ConnectAsync();
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);
        var webhook = LiveKit.CreateWebhook(WebhookEventNames.ParticipantLeft, LiveKitHttp.Room(dm.Id), b.UserId, "CLIENT_INITIATED");

        fixture.Faults.FailNext(nameof(IDmCallMediaGrain.MediaLeft), new InvalidOperationException("a bug in applying media news"));
        var failed = await Server.PostWebhookAsync(webhook);

        var problem = await LiveKitHttp.AssertProblemAsync(failed, HttpStatusCode.InternalServerError, ErrorCodes.InternalError);
        Assert.DoesNotContain("a bug", problem.Str("detail"), StringComparison.Ordinal);
        Assert.True(await LiveKitHttp.InCallAsync(a, dm.Id, b));

        // LiveKit delivers the same event (same id) again: this time it is applied, not a "duplicate".
        Assert.Equal("applied", await Server.DeliverAsync(webhook));
        var left = await aPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == b.UserId);
        Assert.Equal(LeaveReasons.Disconnected, left.Str("reason"));
        Assert.False(await LiveKitHttp.InCallAsync(a, dm.Id, b));
    }

    [Fact]
    public async Task When_forgetting_a_failed_webhook_fails_too_the_answer_still_reports_why_applying_failed()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);
        var webhook = LiveKit.CreateWebhook(WebhookEventNames.ParticipantLeft, LiveKitHttp.Room(dm.Id), b.UserId, "CLIENT_INITIATED");

        fixture.Faults.FailNext(nameof(IDmCallMediaGrain.MediaLeft), new InvalidOperationException("a bug in applying media news"));
        fixture.Faults.FailNext(nameof(ILiveKitWebhookGrain.Release), new TimeoutException("Response did not arrive on time"));

        await LiveKitHttp.AssertProblemAsync(await Server.PostWebhookAsync(webhook), HttpStatusCode.InternalServerError, ErrorCodes.InternalError);
        Assert.True(await LiveKitHttp.InCallAsync(a, dm.Id, b));
    }

    [Fact]
    public async Task A_webhook_that_meets_a_transient_fault_answers_503_and_LiveKits_redelivery_is_applied()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        var bPhone = await b.ConnectAsync();
        var call = await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);
        var webhook = LiveKit.CreateWebhook(WebhookEventNames.RoomFinished, LiveKitHttp.Room(dm.Id));

        // As Orleans reports a call that got no answer in time (a silo going away).
        fixture.Faults.FailNext(nameof(IDmCallMediaGrain.RoomFinished), new TimeoutException("Response did not arrive on time"));
        await FaultAssert.UnavailableAsync(await Server.PostWebhookAsync(webhook));
        Assert.Equal(call.CallId, (await a.PresenceAsync(dm.Id)).CallId);

        Assert.Equal("applied", await Server.DeliverAsync(webhook));
        var ended = await bPhone.WaitForAsync(VoiceEventNames.CallEnded);
        Assert.Equal(CallEndReasons.RoomFinished, ended.Str("reason"));
    }

    [Fact]
    public async Task A_late_left_for_a_media_session_older_than_the_users_current_join_does_not_remove_them()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        var aPhone = await a.ConnectAsync();
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);

        // LiveKit reports, late, the end of a media session bob began a minute ago, before this join.
        var stale = LiveKit.CreateWebhook(
            WebhookEventNames.ParticipantLeft, LiveKitHttp.Room(dm.Id), b.UserId, "CLIENT_INITIATED", joinedAt: DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal("ignored", await Server.DeliverAsync(stale));
        Assert.True(await LiveKitHttp.InCallAsync(a, dm.Id, b));

        // The end of his current session does remove him: the first one was ignored for its age alone.
        var current = LiveKit.CreateWebhook(WebhookEventNames.ParticipantLeft, LiveKitHttp.Room(dm.Id), b.UserId, "CLIENT_INITIATED");
        Assert.Equal("applied", await Server.DeliverAsync(current));
        await aPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == b.UserId);
        Assert.Equal(1, aPhone.Count(VoiceEventNames.UserLeft, e => e.Str("userId") == b.UserId));
    }

    [Fact]
    public async Task A_room_finished_for_the_room_of_an_earlier_call_does_not_end_the_current_call()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        var bPhone = await b.ConnectAsync();
        var call = await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);

        // The room LiveKit says finished was created a minute before this call began: an earlier call's.
        var stale = LiveKit.CreateWebhook(WebhookEventNames.RoomFinished, LiveKitHttp.Room(dm.Id), roomCreatedAt: DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal("ignored", await Server.DeliverAsync(stale));
        var presence = await a.PresenceAsync(dm.Id);
        Assert.Equal(call.CallId, presence.CallId);
        Assert.Equal([a.UserId, b.UserId], presence.Participants.Select(p => p.UserId));

        // The room of this call finishing does end it.
        Assert.Equal("applied", await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.RoomFinished, LiveKitHttp.Room(dm.Id))));
        var ended = await bPhone.WaitForAsync(VoiceEventNames.CallEnded);
        Assert.Equal(call.CallId, ended.Str("callId"));
        Assert.Equal(1, bPhone.Count(VoiceEventNames.CallEnded));
    }
}
