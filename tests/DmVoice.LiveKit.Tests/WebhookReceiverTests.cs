using System.Security.Cryptography;
using System.Text;
using DmVoice.TestSupport.LiveKit;

namespace DmVoice.LiveKit.Tests;

public sealed class WebhookReceiverTests
{
    private static string Sign(byte[] body, string secret = TestKeys.ApiSecret) =>
        new AccessToken(TestKeys.ApiKey, secret) { Sha256 = Convert.ToBase64String(SHA256.HashData(body)), Ttl = TimeSpan.FromMinutes(5) }.ToJwt();

    [Fact]
    public void Parses_snake_case_and_numeric_enums_and_ignores_unknown_fields()
    {
        var body = Encoding.UTF8.GetBytes("""
            {"event":"participant_left","id":"EV_2","created_at":1700000100,"future_field":{"x":[1,2]},
             "room":{"sid":"RM_1","name":"dm_9","num_participants":2,"creation_time":"1700000000"},
             "participant":{"identity":"u9","state":3,"disconnect_reason":4,"joined_at":1700000001,"is_publisher":true,
                            "tracks":[{"sid":"TR_1","type":"AUDIO","source":"MICROPHONE","muted":true}]}}
            """);

        var evt = new WebhookReceiver(TestKeys.ApiKey, TestKeys.ApiSecret).Receive(body, Sign(body));

        Assert.Equal("EV_2", evt.Id);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000100), evt.CreatedAt);
        Assert.Equal("dm_9", evt.Room?.Name);
        Assert.Equal(2, evt.Room?.NumParticipants);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), evt.Room?.CreationTime);
        Assert.Equal(ParticipantInfoState.Disconnected, evt.Participant?.State);
        Assert.Equal(DisconnectReason.ParticipantRemoved, evt.DisconnectReason);
        Assert.True(evt.Participant?.IsPublisher);
        var track = Assert.Single(evt.Participant!.Tracks);
        Assert.Equal(TrackSource.Microphone, track.Source);
        Assert.Equal(TrackType.Audio, track.Type);
        Assert.True(track.Muted);
    }

    [Fact]
    public void Missing_and_unknown_enum_values_fall_back_instead_of_failing()
    {
        var body = Encoding.UTF8.GetBytes("""{"event":"participant_left","participant":{"identity":"u","disconnectReason":"SOMETHING_NEW","state":"WEIRD"}}""");
        var evt = new WebhookReceiver(TestKeys.ApiKey, TestKeys.ApiSecret).Receive(body, Sign(body));
        Assert.Equal(DisconnectReason.UnknownReason, evt.DisconnectReason);
        Assert.Equal(ParticipantInfoState.Joining, evt.Participant?.State);

        var noParticipant = Encoding.UTF8.GetBytes("""{"event":"room_finished","room":{"name":"dm_1"}}""");
        var finished = new WebhookReceiver(TestKeys.ApiKey, TestKeys.ApiSecret).Receive(noParticipant, Sign(noParticipant));
        Assert.Null(finished.Participant);
        Assert.Equal(DisconnectReason.UnknownReason, finished.DisconnectReason);
    }

    [Fact]
    public void Rejects_token_without_sha256_and_hash_of_other_body()
    {
        var body = Encoding.UTF8.GetBytes("""{"event":"room_started"}""");
        var receiver = new WebhookReceiver(TestKeys.ApiKey, TestKeys.ApiSecret);

        var noHash = new AccessToken(TestKeys.ApiKey, TestKeys.ApiSecret).ToJwt();
        Assert.Throws<LiveKitAuthException>(() => receiver.Receive(body, noHash));
        Assert.Throws<LiveKitAuthException>(() => receiver.Receive(body, Sign(Encoding.UTF8.GetBytes("{}"))));
        Assert.Throws<LiveKitAuthException>(() => receiver.Receive(body, Sign(body, TestKeys.OtherSecret)));
        Assert.Equal("room_started", receiver.Receive(Encoding.UTF8.GetString(body), Sign(body)).Event);
    }

    [Fact]
    public void Authentic_but_malformed_body_is_a_LiveKitException_not_an_auth_failure()
    {
        var body = Encoding.UTF8.GetBytes("[1,2]");
        var ex = Assert.Throws<LiveKitException>(() => new WebhookReceiver(TestKeys.ApiKey, TestKeys.ApiSecret).Receive(body, Sign(body)));
        Assert.IsNotType<LiveKitAuthException>(ex);
    }

    [Fact]
    public async Task Fake_server_webhooks_verify_with_our_receiver()
    {
        await using var fake = await FakeLiveKitServer.StartAsync(TestKeys.ApiKey, TestKeys.ApiSecret, ct: TestContext.Current.CancellationToken);
        fake.AddParticipant("dm_3", "u3", "Zed");
        var receiver = new WebhookReceiver(TestKeys.ApiKey, TestKeys.ApiSecret);

        var (body, authorization) = fake.CreateWebhook(WebhookEventNames.ParticipantJoined, "dm_3", "u3");
        var joined = receiver.Receive(body, authorization);
        Assert.Equal(WebhookEventNames.ParticipantJoined, joined.Event);
        Assert.Equal(ParticipantInfoState.Active, joined.Participant?.State);
        Assert.Equal("Zed", joined.Participant?.Name);
        Assert.Equal(1, joined.Room?.NumParticipants);

        var left = fake.CreateWebhook(WebhookEventNames.ParticipantLeft, "dm_3", "u3", "CLIENT_INITIATED");
        Assert.Equal(DisconnectReason.ClientInitiated, receiver.Receive(left.Body, left.Authorization).DisconnectReason);

        var finished = fake.CreateWebhook(WebhookEventNames.RoomFinished, "dm_3");
        var evt = receiver.Receive(finished.Body, finished.Authorization);
        Assert.Equal("dm_3", evt.Room?.Name);
        Assert.Null(evt.Participant);
    }
}
