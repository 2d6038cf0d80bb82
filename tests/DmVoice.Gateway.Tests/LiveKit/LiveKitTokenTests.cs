using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DmVoice.LiveKit;

namespace DmVoice.Gateway.Tests.LiveKit;

/// <summary>POST /livekit/dm-token against the real gateway; tokens are checked with our own TokenVerifier.</summary>
public sealed class LiveKitTokenTests(LiveKitGatewayFixture fixture) : IClassFixture<LiveKitGatewayFixture>
{
    private GatewayServer Server => fixture.Server;

    private TokenVerifier Verifier => new(fixture.LiveKit.ApiKey, fixture.LiveKit.ApiSecret);

    [Fact]
    public async Task A_member_gets_a_token_for_the_dm_room_that_may_join_and_publish_media_but_not_create_rooms()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);

        var response = await a.RequestTokenAsync(new { roomId = dm.Id });
        await VoiceUser.EnsureSuccessAsync(response);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("dm_" + dm.Id, body.Str("roomName"));
        Assert.Equal(a.UserId, body.Str("identity"));
        Assert.Equal(fixture.LiveKit.Url.ToString(), body.Str("url"));

        var claims = Verifier.Verify(body.Str("token"));
        Assert.Equal(a.UserId, claims.Identity);
        Assert.Equal("alice", claims.Name);
        Assert.Equal(fixture.LiveKit.ApiKey, claims.Issuer);
        Assert.Equal(body.GetProperty("expiresAt").GetDateTimeOffset(), claims.Expires);
        Assert.Equal(TimeSpan.FromMinutes(10), claims.Expires - claims.NotBefore);
        Assert.InRange(claims.NotBefore!.Value, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));

        var video = claims.Video!;
        Assert.True(video.RoomJoin);
        Assert.Equal("dm_" + dm.Id, video.Room);
        Assert.True(video.CanPublish);
        Assert.True(video.CanSubscribe);
        Assert.True(video.CanPublishData);
        Assert.Equal(
            new[] { TrackSource.Camera, TrackSource.Microphone, TrackSource.ScreenShare, TrackSource.ScreenShareAudio },
            video.CanPublishSources!.Order());
        Assert.NotEqual(true, video.RoomCreate);
        Assert.NotEqual(true, video.RoomAdmin);
        Assert.NotEqual(true, video.RoomList);

        // The raw claim uses LiveKit's source names.
        var payload = JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(body.Str("token").Split('.')[1])).RootElement;
        Assert.Equal(
            ["camera", "microphone", "screen_share", "screen_share_audio"],
            payload.GetProperty("video").GetProperty("canPublishSources").EnumerateArray().Select(s => s.GetString()).Order());
        Assert.False(payload.GetProperty("video").TryGetProperty("roomCreate", out _));
    }

    [Fact]
    public async Task Identity_and_name_may_be_given_only_as_ones_own_so_others_see_the_name_of_the_users_token()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);

        var response = await b.RequestTokenAsync(new { roomId = dm.Id, identity = b.UserId, name = "  bob " });
        await VoiceUser.EnsureSuccessAsync(response);
        var claims = Verifier.Verify((await response.Content.ReadFromJsonAsync<JsonElement>()).Str("token"));
        Assert.Equal(b.UserId, claims.Identity);
        Assert.Equal("bob", claims.Name);

        var chosen = await b.RequestTokenAsync(new { roomId = dm.Id, name = "Alice" });
        await Api.Rest.AssertProblemAsync(chosen, System.Net.HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
    }

    [Fact]
    public async Task Non_members_and_unknown_dms_get_dm_not_found()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        await using var c = await VoiceUser.CreateAsync(Server, "carol");
        var dm = await a.CreateDmAsync(b);

        await LiveKitHttp.AssertProblemAsync(await c.RequestTokenAsync(new { roomId = dm.Id }), HttpStatusCode.NotFound, ErrorCodes.DmNotFound);
        await LiveKitHttp.AssertProblemAsync(
            await c.RequestTokenAsync(new { roomId = dm.Id, identity = c.UserId }), HttpStatusCode.NotFound, ErrorCodes.DmNotFound);
        await LiveKitHttp.AssertProblemAsync(
            await a.RequestTokenAsync(new { roomId = "gdm-" + Guid.NewGuid().ToString("N") }), HttpStatusCode.NotFound, ErrorCodes.DmNotFound);
    }

    [Fact]
    public async Task A_token_for_someone_elses_identity_is_forbidden()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);

        await LiveKitHttp.AssertProblemAsync(
            await a.RequestTokenAsync(new { roomId = dm.Id, identity = b.UserId }), HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
    }

    [Fact]
    public async Task Without_a_bearer_token_the_answer_is_401()
    {
        using var anonymous = new HttpClient { BaseAddress = Server.BaseAddress };
        var response = await anonymous.PostAsJsonAsync("/livekit/dm-token", new { roomId = "dm-x" });
        await LiveKitHttp.AssertProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }

    [Fact]
    public async Task Bad_bodies_are_400_or_422()
    {
        await using var a = await VoiceUser.CreateAsync(Server, "alice");
        await using var b = await VoiceUser.CreateAsync(Server, "bob");
        var dm = await a.CreateDmAsync(b);

        using var notJson = new StringContent("{roomId:", Encoding.UTF8, "application/json");
        await LiveKitHttp.AssertProblemAsync(await a.Http.PostAsync("/livekit/dm-token", notJson), HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest);
        await LiveKitHttp.AssertProblemAsync(await a.RequestTokenAsync(new { roomId = 42 }), HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest);

        foreach (var body in new object[]
                 {
                     new { },
                     new { roomId = "" },
                     new { roomId = "no spaces allowed" },
                     new { roomId = new string('x', 129) },
                     new { roomId = dm.Id, identity = "" },
                     new { roomId = dm.Id, identity = "not/an/id" },
                     new { roomId = dm.Id, name = new string('n', 101) },
                     new { roomId = dm.Id, name = "bell\u0007" },
                 })
        {
            await LiveKitHttp.AssertProblemAsync(await a.RequestTokenAsync(body), HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);
        }
    }
}

/// <summary>The embedded default has no LiveKit: everything else works, the LiveKit endpoints say so.</summary>
public sealed class LiveKitNotConfiguredTests : IAsyncLifetime
{
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Both_endpoints_answer_503_livekit_not_configured_and_calls_still_work()
    {
        Assert.Contains(ErrorCodes.LiveKitNotConfigured, ErrorCodes.All);
        await using var a = await VoiceUser.CreateAsync(_server, "alice");
        await using var b = await VoiceUser.CreateAsync(_server, "bob");
        var dm = await a.CreateDmAsync(b);

        await LiveKitHttp.AssertProblemAsync(
            await a.RequestTokenAsync(new { roomId = dm.Id }), HttpStatusCode.ServiceUnavailable, ErrorCodes.LiveKitNotConfigured);

        await using var liveKit = await TestSupport.LiveKit.FakeLiveKitServer.StartAsync();
        var webhook = liveKit.CreateWebhook(WebhookEventNames.RoomFinished, "dm_" + dm.Id);
        await LiveKitHttp.AssertProblemAsync(
            await _server.PostWebhookAsync(webhook), HttpStatusCode.ServiceUnavailable, ErrorCodes.LiveKitNotConfigured);

        var joined = await a.JoinAsync(dm.Id);
        Assert.True(joined.CallStarted);
        await a.LeaveAsync(dm.Id);
    }
}
