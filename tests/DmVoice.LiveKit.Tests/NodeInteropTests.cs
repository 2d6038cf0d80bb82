using System.Text;
using System.Text.Json;
using DmVoice.TestSupport.LiveKit;

namespace DmVoice.LiveKit.Tests;

/// <summary>Wire compatibility with LiveKit's own node SDK (livekit-server-sdk, pinned in tests/tools/livekit-interop).</summary>
public sealed class NodeInteropTests
{
    [Fact]
    public async Task Our_join_token_passes_the_node_TokenVerifier_with_the_expected_claims()
    {
        NodeInterop.RequireNode();
        var token = new AccessToken(TestKeys.ApiKey, TestKeys.ApiSecret)
        {
            Identity = "user-1",
            Name = "Alice",
            Metadata = "{\"k\":1}",
            Ttl = TimeSpan.FromMinutes(10),
        }.AddGrant(new VideoGrants
        {
            RoomJoin = true,
            Room = "dm_42",
            CanPublish = true,
            CanSubscribe = true,
            CanPublishSources = [TrackSource.Microphone, TrackSource.ScreenShare, TrackSource.ScreenShareAudio],
        }).ToJwt();

        var claims = await NodeInterop.RunJsonAsync("verify", TestKeys.ApiKey, TestKeys.ApiSecret, token);

        Assert.Equal("user-1", claims.GetProperty("sub").GetString());
        Assert.Equal("Alice", claims.GetProperty("name").GetString());
        Assert.Equal("{\"k\":1}", claims.GetProperty("metadata").GetString());
        Assert.Equal(TestKeys.ApiKey, claims.GetProperty("iss").GetString());
        Assert.Equal(600, claims.GetProperty("exp").GetInt64() - claims.GetProperty("nbf").GetInt64());
        var video = claims.GetProperty("video");
        Assert.True(video.GetProperty("roomJoin").GetBoolean());
        Assert.Equal("dm_42", video.GetProperty("room").GetString());
        Assert.True(video.GetProperty("canPublish").GetBoolean());
        Assert.Equal(
            ["microphone", "screen_share", "screen_share_audio"],
            video.GetProperty("canPublishSources").EnumerateArray().Select(s => s.GetString()!).ToArray());
        Assert.False(video.TryGetProperty("roomCreate", out _));
        Assert.False(video.TryGetProperty("roomAdmin", out _));
        Assert.False(video.TryGetProperty("canPublishData", out _));

        // Same claim set as the SDKs: no iat/jti/aud.
        Assert.Equal(
            ["exp", "iss", "metadata", "name", "nbf", "sub", "video"],
            claims.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task Issued_join_token_passes_the_node_TokenVerifier()
    {
        NodeInterop.RequireNode();
        var issuer = new LiveKitTokenIssuer(new LiveKitOptions
        {
            Url = "ws://127.0.0.1:7880",
            ApiKey = TestKeys.ApiKey,
            ApiSecret = TestKeys.ApiSecret,
        });

        var claims = await NodeInterop.RunJsonAsync(
            "verify", TestKeys.ApiKey, TestKeys.ApiSecret, issuer.CreateJoinToken("dm_7", "user-9", "Bob"));

        Assert.Equal("user-9", claims.GetProperty("sub").GetString());
        Assert.Equal("Bob", claims.GetProperty("name").GetString());
        var video = claims.GetProperty("video");
        Assert.Equal("dm_7", video.GetProperty("room").GetString());
        Assert.True(video.GetProperty("roomJoin").GetBoolean());
        Assert.True(video.GetProperty("canSubscribe").GetBoolean());
        Assert.False(video.GetProperty("canUpdateOwnMetadata").GetBoolean());
        Assert.Equal(
            ["microphone", "camera", "screen_share", "screen_share_audio"],
            video.GetProperty("canPublishSources").EnumerateArray().Select(s => s.GetString()!).ToArray());
    }

    [Fact]
    public async Task Node_rejects_our_token_signed_with_another_secret()
    {
        NodeInterop.RequireNode();
        var token = new AccessToken(TestKeys.ApiKey, TestKeys.OtherSecret) { Identity = "u" }.ToJwt();

        var result = await NodeInterop.RunAsync("verify", TestKeys.ApiKey, TestKeys.ApiSecret, token);

        Assert.NotEqual(0, result.ExitCode);
    }

    [Fact]
    public async Task Node_token_passes_our_TokenVerifier_with_the_right_grants()
    {
        NodeInterop.RequireNode();
        var options = JsonSerializer.Serialize(new
        {
            identity = "user-2",
            name = "Carol",
            metadata = "md",
            ttl = "10m",
            video = new
            {
                roomJoin = true,
                room = "dm_99",
                canPublish = false,
                canSubscribe = true,
                hidden = true,
                canPublishSources = new[] { "microphone", "camera" },
            },
        });
        var token = await NodeInterop.RunOkAsync("create-token", TestKeys.ApiKey, TestKeys.ApiSecret, options);

        var claims = new TokenVerifier(TestKeys.ApiKey, TestKeys.ApiSecret).Verify(token);

        Assert.Equal("user-2", claims.Identity);
        Assert.Equal("Carol", claims.Name);
        Assert.Equal("md", claims.Metadata);
        Assert.Equal(TestKeys.ApiKey, claims.Issuer);
        Assert.Equal(TimeSpan.FromMinutes(10), claims.Expires - claims.NotBefore);
        Assert.NotNull(claims.Video);
        Assert.Equal(
            new VideoGrants
            {
                RoomJoin = true,
                Room = "dm_99",
                CanPublish = false,
                CanSubscribe = true,
                Hidden = true,
                CanPublishSources = claims.Video.CanPublishSources,
            },
            claims.Video);
        Assert.Equal([TrackSource.Microphone, TrackSource.Camera], claims.Video.CanPublishSources);

        Assert.Throws<LiveKitAuthException>(() => new TokenVerifier(TestKeys.ApiKey, TestKeys.OtherSecret).Verify(token));
        Assert.Throws<LiveKitAuthException>(() => new TokenVerifier("another-key", TestKeys.ApiSecret).Verify(token));
    }

    [Fact]
    public async Task Node_signed_webhook_is_accepted_and_parsed_and_tampering_is_rejected()
    {
        NodeInterop.RequireNode();

        // Shaped like LiveKit's protojson output: camelCase, int64 as strings, enums by name.
        var body = Encoding.UTF8.GetBytes("""
            {"event":"participant_left","room":{"sid":"RM_abc","name":"dm_42","emptyTimeout":300,"creationTime":"1700000000"},"participant":{"sid":"PA_xyz","identity":"user-1","state":"DISCONNECTED","joinedAt":"1700000005","name":"Alice","version":3,"disconnectReason":"CLIENT_INITIATED"},"id":"EV_1","createdAt":"1700000100"}
            """.Trim());
        var file = Path.Combine(Path.GetTempPath(), $"livekit-webhook-{Guid.NewGuid():N}.json");
        await File.WriteAllBytesAsync(file, body, TestContext.Current.CancellationToken);
        string authorization;
        try
        {
            authorization = await NodeInterop.RunOkAsync("sign-webhook", TestKeys.ApiKey, TestKeys.ApiSecret, file);
        }
        finally
        {
            File.Delete(file);
        }

        var receiver = new WebhookReceiver(TestKeys.ApiKey, TestKeys.ApiSecret);
        var evt = receiver.Receive(body, authorization);

        Assert.Equal(WebhookEventNames.ParticipantLeft, evt.Event);
        Assert.Equal("EV_1", evt.Id);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000100), evt.CreatedAt);
        Assert.Equal("dm_42", evt.Room?.Name);
        Assert.Equal("RM_abc", evt.Room?.Sid);
        Assert.Equal("user-1", evt.Participant?.Identity);
        Assert.Equal("Alice", evt.Participant?.Name);
        Assert.Equal(ParticipantInfoState.Disconnected, evt.Participant?.State);
        Assert.Equal(DisconnectReason.ClientInitiated, evt.DisconnectReason);

        var tampered = (byte[])body.Clone();
        tampered[Array.IndexOf(tampered, (byte)'4')] = (byte)'5'; // dm_42 -> dm_52
        Assert.Throws<LiveKitAuthException>(() => receiver.Receive(tampered, authorization));
        Assert.Throws<LiveKitAuthException>(() => new WebhookReceiver(TestKeys.ApiKey, TestKeys.OtherSecret).Receive(body, authorization));
        Assert.Throws<LiveKitAuthException>(() => new WebhookReceiver("other-key", TestKeys.ApiSecret).Receive(body, authorization));
        Assert.Throws<LiveKitAuthException>(() => receiver.Receive(body, "Bearer " + authorization));
        Assert.Throws<LiveKitAuthException>(() => receiver.Receive(body, null));
        Assert.Throws<LiveKitAuthException>(() => receiver.Receive(body, string.Empty));
    }

    [Fact]
    public async Task Fake_server_webhooks_are_accepted_by_the_node_WebhookReceiver()
    {
        NodeInterop.RequireNode();
        await using var fake = await FakeLiveKitServer.StartAsync(TestKeys.ApiKey, TestKeys.ApiSecret, ct: TestContext.Current.CancellationToken);
        fake.AddParticipant("dm_5", "user-5", "Eve");
        var webhook = fake.CreateWebhook(WebhookEventNames.ParticipantLeft, "dm_5", "user-5", "PARTICIPANT_REMOVED");
        var file = Path.Combine(Path.GetTempPath(), $"livekit-webhook-{Guid.NewGuid():N}.json");
        await File.WriteAllBytesAsync(file, webhook.Body, TestContext.Current.CancellationToken);
        JsonElement parsed;
        try
        {
            parsed = await NodeInterop.RunJsonAsync("verify-webhook", TestKeys.ApiKey, TestKeys.ApiSecret, file, webhook.Authorization);
        }
        finally
        {
            File.Delete(file);
        }

        Assert.Equal("participant_left", parsed.GetProperty("event").GetString());
        Assert.Equal("dm_5", parsed.GetProperty("room").GetProperty("name").GetString());
        Assert.Equal("user-5", parsed.GetProperty("participant").GetProperty("identity").GetString());
        Assert.Equal("PARTICIPANT_REMOVED", parsed.GetProperty("participant").GetProperty("disconnectReason").GetString());

        var evt = new WebhookReceiver(TestKeys.ApiKey, TestKeys.ApiSecret).Receive(webhook.Body, webhook.Authorization);
        Assert.Equal(DisconnectReason.ParticipantRemoved, evt.DisconnectReason);
        Assert.Equal("Eve", evt.Participant?.Name);
    }

    [Fact]
    public async Task RoomServiceClient_sends_what_the_node_RoomServiceClient_sends()
    {
        NodeInterop.RequireNode();
        var node = await NodeInterop.RunJsonAsync("capture-room-calls", TestKeys.ApiKey, TestKeys.ApiSecret);
        var nodeCalls = node.EnumerateArray().ToDictionary(c => c.GetProperty("path").GetString()!.Split('/')[^1]);

        await using var fake = await FakeLiveKitServer.StartAsync(TestKeys.ApiKey, TestKeys.ApiSecret, ct: TestContext.Current.CancellationToken);
        fake.AddParticipant("dm_room", "user-1");
        using var http = new HttpClient();
        var client = new RoomServiceClient(http, new LiveKitOptions { Url = fake.Url.ToString(), ApiKey = TestKeys.ApiKey, ApiSecret = TestKeys.ApiSecret });
        var ct = TestContext.Current.CancellationToken;
        await client.ListParticipantsAsync("dm_room", ct);
        await client.RemoveParticipantAsync("dm_room", "user-1", ct);
        await client.DeleteRoomAsync("dm_room", ct);
        await client.ListRoomsAsync(ct);

        var ours = fake.Calls.ToDictionary(c => c.Method);
        Assert.Equal(nodeCalls.Keys.Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
        var verifier = new TokenVerifier(TestKeys.ApiKey, TestKeys.ApiSecret);
        foreach (var (method, nodeCall) in nodeCalls)
        {
            var ourCall = ours[method];
            Assert.Equal($"/twirp/livekit.RoomService/{method}", nodeCall.GetProperty("path").GetString());
            Assert.True(ourCall.StatusCode == 200, $"{method} answered {ourCall.StatusCode}");
            Assert.Equal(MediaType(nodeCall.GetProperty("contentType").GetString()), MediaType(ourCall.ContentType));
            Assert.True(JsonElement.DeepEquals(
                JsonDocument.Parse(nodeCall.GetProperty("body").GetString()!).RootElement,
                JsonDocument.Parse(ourCall.Body).RootElement), $"{method}: node sent {nodeCall.GetProperty("body")}, we sent {ourCall.Body}");

            // Same grants in the bearer token.
            Assert.StartsWith("Bearer ", ourCall.Authorization, StringComparison.Ordinal);
            var ourVideo = JsonSerializer.SerializeToElement(verifier.Verify(ourCall.Authorization!["Bearer ".Length..]).Video, VideoGrantsJson);
            Assert.True(
                JsonElement.DeepEquals(nodeCall.GetProperty("claims").GetProperty("video"), ourVideo),
                $"{method}: node grants {nodeCall.GetProperty("claims").GetProperty("video")}, ours {ourVideo}");
        }
    }

    private static readonly JsonSerializerOptions VideoGrantsJson = new()
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static string? MediaType(string? contentType) =>
        contentType?.Split(';')[0].Trim().ToLowerInvariant();
}
