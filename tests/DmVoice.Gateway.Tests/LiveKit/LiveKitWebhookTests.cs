using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DmVoice.LiveKit;
using DmVoice.TestSupport.LiveKit;

namespace DmVoice.Gateway.Tests.LiveKit;

/// <summary>POST /livekit/webhook: signed by the fake LiveKit exactly as LiveKit signs, applied to the real grains.</summary>
public sealed class LiveKitWebhookTests(LiveKitGatewayFixture fixture) : IClassFixture<LiveKitGatewayFixture>
{
    private GatewayServer Server => fixture.Server;

    private FakeLiveKitServer LiveKit => fixture.LiveKit;

    [Fact]
    public async Task Participant_left_removes_the_user_as_disconnected()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        var aPhone = await a.ConnectAsync();
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);

        var result = await Server.DeliverAsync(LiveKit.CreateWebhook(
            WebhookEventNames.ParticipantLeft, LiveKitHttp.Room(dm.Id), b.UserId, "CLIENT_INITIATED"));

        Assert.Equal("applied", result);
        var left = await aPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == b.UserId);
        Assert.Equal(LeaveReasons.Disconnected, left.Str("reason"));
        Assert.False(await LiveKitHttp.InCallAsync(a, dm.Id, b));
        var mine = await b.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json);
        Assert.Null(mine!.ActiveCall);
    }

    [Fact]
    public async Task Connection_aborted_removes_the_user_too()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);

        Assert.Equal("applied", await Server.DeliverAsync(LiveKit.CreateWebhook(
            WebhookEventNames.ParticipantConnectionAborted, LiveKitHttp.Room(dm.Id), b.UserId)));
        Assert.False(await LiveKitHttp.InCallAsync(a, dm.Id, b));
    }

    [Fact]
    public async Task Participant_left_for_a_duplicate_identity_is_ignored()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        var aPhone = await a.ConnectAsync();
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);

        var result = await Server.DeliverAsync(LiveKit.CreateWebhook(
            WebhookEventNames.ParticipantLeft, LiveKitHttp.Room(dm.Id), b.UserId, "DUPLICATE_IDENTITY"));

        Assert.Equal("ignored", result);
        Assert.True(await LiveKitHttp.InCallAsync(a, dm.Id, b));
        Assert.Equal(0, aPhone.Count(VoiceEventNames.UserLeft));
    }

    [Fact]
    public async Task Participant_joined_joins_a_member_through_the_normal_join_and_moves_them_out_of_their_other_call()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        await using var c = await VoiceUser.CreateAsync(Server, "carol");
        var ab = await a.CreateDmAsync(b);
        var bc = await b.CreateDmAsync(c);
        var aPhone = await a.ConnectAsync();
        var cPhone = await c.ConnectAsync();
        await a.JoinAsync(ab.Id);
        await c.JoinAsync(bc.Id);
        await b.JoinAsync(bc.Id);

        LiveKit.AddParticipant(LiveKitHttp.Room(ab.Id), b.UserId, "Bob on web");
        var result = await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.ParticipantJoined, LiveKitHttp.Room(ab.Id), b.UserId));

        Assert.Equal("applied", result);
        var joined = await aPhone.WaitForAsync(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == b.UserId);
        // The name is Bob's own (from his token), not the one in the LiveKit participant.
        Assert.Equal("bob", joined.GetProperty("user").Str("displayName"));
        var moved = await cPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == b.UserId);
        Assert.Equal(LeaveReasons.Moved, moved.Str("reason"));
        var mine = await b.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json);
        Assert.Equal(new ActiveCall(CallKinds.Dm, ab.Id, null, null), mine!.ActiveCall);

        // Already in the call: nothing to do.
        Assert.Equal("ignored", await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.ParticipantJoined, LiveKitHttp.Room(ab.Id), b.UserId)));
        Assert.Equal(1, aPhone.Count(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == b.UserId));
    }

    [Fact]
    public async Task Participant_joined_for_a_non_member_removes_them_from_the_room_and_one_for_a_room_that_is_no_dm_is_ignored()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        await using var stranger = await VoiceUser.CreateAsync(Server, "stranger");
        var dm = await a.CreateDmAsync(b);
        var room = LiveKitHttp.Room(dm.Id);
        await a.JoinAsync(dm.Id);

        Assert.Equal("ignored", await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.ParticipantJoined, room, stranger.UserId)));
        Assert.Equal("ignored", await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.ParticipantJoined, "lobby", b.UserId)));
        Assert.Equal("ignored", await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.TrackPublished, room, b.UserId)));

        // The stranger's media is cut (their token may still be valid); nothing is done about rooms that are no DM.
        await LiveKit.WaitForCallAsync("RemoveParticipant", x => x.Room == room && x.Identity == stranger.UserId && x.StatusCode is 200 or 404);
        Assert.DoesNotContain(LiveKit.Calls, x => x.Method == "RemoveParticipant" && x.Identity == b.UserId);
        var presence = await a.PresenceAsync(dm.Id);
        Assert.Equal([a.UserId], presence.Participants.Select(p => p.UserId));
        var strangers = await stranger.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json);
        Assert.Null(strangers!.ActiveCall);
    }

    [Fact]
    public async Task Participant_joined_for_a_member_who_left_the_call_since_that_media_session_began_removes_their_media()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        var room = LiveKitHttp.Room(dm.Id);
        var aPhone = await a.ConnectAsync();
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);
        await aPhone.WaitForAsync(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == b.UserId);
        var mediaJoinedAt = DateTimeOffset.UtcNow.AddSeconds(-2); // LiveKit's times have whole seconds.
        await b.LeaveAsync(dm.Id);

        // LiveKit reports the session late (or the client never hung up): it is not a new join.
        Assert.Equal("ignored", await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.ParticipantJoined, room, b.UserId, joinedAt: mediaJoinedAt)));

        await LiveKit.WaitForCallAsync("RemoveParticipant", x => x.Room == room && x.Identity == b.UserId);
        Assert.Equal([a.UserId], (await a.PresenceAsync(dm.Id)).Participants.Select(p => p.UserId));
        Assert.Equal(1, aPhone.Count(VoiceEventNames.UserJoined, e => e.GetProperty("user").Str("userId") == b.UserId));

        // Joining again is a join like any other: no removal is left owed that would cut the new media.
        LiveKit.ClearCalls();
        await b.JoinAsync(dm.Id);
        Assert.Equal("ignored", await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.ParticipantJoined, room, b.UserId)));
        await Task.Delay(500);
        Assert.DoesNotContain(LiveKit.Calls, x => x.Method == "RemoveParticipant" && x.Identity == b.UserId);
        Assert.True(await LiveKitHttp.InCallAsync(a, dm.Id, b));
    }

    [Fact]
    public async Task Room_finished_ends_the_live_call()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        var bPhone = await b.ConnectAsync();
        var started = await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);

        Assert.Equal("applied", await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.RoomFinished, LiveKitHttp.Room(dm.Id))));

        var ended = await bPhone.WaitForAsync(VoiceEventNames.CallEnded);
        Assert.Equal(CallEndReasons.RoomFinished, ended.Str("reason"));
        Assert.Equal(started.CallId, ended.Str("callId"));
        Assert.Null((await a.PresenceAsync(dm.Id)).CallId);

        // No live call any more: nothing to end.
        Assert.Equal("ignored", await Server.DeliverAsync(LiveKit.CreateWebhook(WebhookEventNames.RoomFinished, LiveKitHttp.Room(dm.Id))));
    }

    [Fact]
    public async Task Anything_not_signed_as_LiveKit_signs_is_401_and_changes_nothing()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        var aPhone = await a.ConnectAsync();
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);
        var webhook = LiveKit.CreateWebhook(WebhookEventNames.ParticipantLeft, LiveKitHttp.Room(dm.Id), b.UserId, "CLIENT_INITIATED");

        var tampered = webhook.Body.ToArray();
        var at = webhook.BodyText.IndexOf("CLIENT_INITIATED", StringComparison.Ordinal);
        tampered[at] = (byte)'K';
        var otherSecret = FakeLiveKitJwt.Sign(
            LiveKit.ApiKey,
            "another-secret-that-is-at-least-32-bytes-long",
            new JsonObject { ["sha256"] = Convert.ToBase64String(SHA256.HashData(webhook.Body)) },
            DateTimeOffset.UtcNow,
            TimeSpan.FromMinutes(5));
        var otherKey = FakeLiveKitJwt.Sign(
            "another-key",
            LiveKit.ApiSecret,
            new JsonObject { ["sha256"] = Convert.ToBase64String(SHA256.HashData(webhook.Body)) },
            DateTimeOffset.UtcNow,
            TimeSpan.FromMinutes(5));
        var expired = FakeLiveKitJwt.Sign(
            LiveKit.ApiKey,
            LiveKit.ApiSecret,
            new JsonObject { ["sha256"] = Convert.ToBase64String(SHA256.HashData(webhook.Body)) },
            DateTimeOffset.UtcNow.AddHours(-1),
            TimeSpan.FromMinutes(5));

        var refused = new[]
        {
            await Server.PostWebhookAsync(webhook, body: tampered),
            await Server.PostWebhookAsync(webhook, authorization: otherSecret),
            await Server.PostWebhookAsync(webhook, authorization: otherKey),
            await Server.PostWebhookAsync(webhook, authorization: expired),
            await Server.PostWebhookAsync(webhook, omitAuthorization: true),
            await Server.PostWebhookAsync(webhook, authorization: "Bearer " + webhook.Authorization),
            await Server.PostWebhookAsync(webhook, authorization: "not-a-jwt"),
            await Server.PostWebhookAsync(webhook, contentType: "application/json"),
            await Server.PostWebhookAsync(webhook, contentType: "text/plain"),
        };
        foreach (var response in refused)
        {
            await LiveKitHttp.AssertProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        }

        Assert.True(await LiveKitHttp.InCallAsync(a, dm.Id, b));
        Assert.Equal(0, aPhone.Count(VoiceEventNames.UserLeft));

        // The genuine delivery of the same event still applies: the refusals did not mark it as processed.
        Assert.Equal("applied", await Server.DeliverAsync(webhook));
        await aPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == b.UserId);
    }

    [Fact]
    public async Task A_redelivered_event_is_processed_once()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);
        var aPhone = await a.ConnectAsync();
        await a.JoinAsync(dm.Id);
        await b.JoinAsync(dm.Id);
        var webhook = LiveKit.CreateWebhook(WebhookEventNames.ParticipantLeft, LiveKitHttp.Room(dm.Id), b.UserId, "CLIENT_INITIATED");

        Assert.Equal("applied", await Server.DeliverAsync(webhook));
        await aPhone.WaitForAsync(VoiceEventNames.UserLeft, e => e.Str("userId") == b.UserId);

        // Bob comes back; LiveKit redelivers the old event (e.g. it missed our 200): it must not remove him again.
        await b.JoinAsync(dm.Id);
        Assert.Equal("duplicate", await Server.DeliverAsync(webhook));
        Assert.Equal("duplicate", await Server.DeliverAsync(webhook));
        Assert.True(await LiveKitHttp.InCallAsync(a, dm.Id, b));
        Assert.Equal(1, aPhone.Count(VoiceEventNames.UserLeft, e => e.Str("userId") == b.UserId));
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_refused()
    {
        var webhook = LiveKit.CreateWebhook(WebhookEventNames.RoomFinished, "dm_whatever");
        var response = await Server.PostWebhookAsync(webhook, body: new byte[20_000]);
        await LiveKitHttp.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge);
    }
}
