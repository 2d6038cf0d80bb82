using DmVoice.TestSupport.LiveKit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DmVoice.LiveKit.Tests;

public sealed class LiveKitConfigTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLiveKit(configuration).BuildServiceProvider();
    }

    [Fact]
    public void Startup_validation_fails_clearly_for_a_short_secret()
    {
        using var services = Build(new()
        {
            ["LiveKit:Url"] = "http://127.0.0.1:7880",
            ["LiveKit:ApiKey"] = "devkey",
            ["LiveKit:ApiSecret"] = "secret",
        });

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("ApiSecret must be at least 32 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_validation_lists_missing_settings()
    {
        using var services = Build(new() { ["LiveKit:Url"] = "ftp://x" });

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("LiveKit:Url", ex.Message, StringComparison.Ordinal);
        Assert.Contains("LiveKit:ApiKey", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddLiveKit_binds_options_and_wires_the_room_service_and_token_issuer()
    {
        await using var fake = await FakeLiveKitServer.StartAsync(TestKeys.ApiKey, TestKeys.ApiSecret, ct: TestContext.Current.CancellationToken);
        fake.AddParticipant("dm_1", "u1");
        using var services = Build(new()
        {
            ["LiveKit:Url"] = fake.WsUrl,
            ["LiveKit:ApiKey"] = TestKeys.ApiKey,
            ["LiveKit:ApiSecret"] = TestKeys.ApiSecret,
            ["LiveKit:TokenTtl"] = "00:02:00",
            ["LiveKit:RequestTimeout"] = "00:00:03",
        });
        services.GetRequiredService<IStartupValidator>().Validate();

        var options = services.GetRequiredService<IOptions<LiveKitOptions>>().Value;
        Assert.Equal(TimeSpan.FromMinutes(2), options.TokenTtl);
        Assert.Equal(TimeSpan.FromSeconds(3), options.RequestTimeout);
        Assert.Equal(fake.Url, options.TwirpBaseUri);

        var rooms = services.GetRequiredService<ILiveKitRoomService>();
        var participant = Assert.Single(await rooms.ListParticipantsAsync("dm_1", TestContext.Current.CancellationToken));
        Assert.Equal("u1", participant.Identity);

        var token = services.GetRequiredService<ILiveKitTokenIssuer>().CreateJoinToken("dm_1", "u1");
        var claims = new TokenVerifier(TestKeys.ApiKey, TestKeys.ApiSecret).Verify(token);
        Assert.Equal(TimeSpan.FromMinutes(2), claims.Expires - claims.NotBefore);
        Assert.Equal("dm_1", claims.Video?.Room);

        var webhook = fake.CreateWebhook(WebhookEventNames.RoomStarted, "dm_1");
        Assert.Equal("dm_1", services.GetRequiredService<WebhookReceiver>().Receive(webhook.Body, webhook.Authorization).Room?.Name);
    }

    [Theory]
    [InlineData("ws://127.0.0.1:7880", "http://127.0.0.1:7880")]
    [InlineData("wss://lk.example.test", "https://lk.example.test")]
    [InlineData("https://lk.example.test/", "https://lk.example.test/")]
    public void Client_urls_map_to_http_for_twirp(string url, string expected) =>
        Assert.Equal(expected, LiveKitUrls.ToHttp(url));

    [Fact]
    public void Dm_room_names_round_trip()
    {
        Assert.Equal("dm_abc", LiveKitRooms.ForDm("abc"));
        Assert.True(LiveKitRooms.TryParseDm("dm_abc", out var id));
        Assert.Equal("abc", id);
        Assert.False(LiveKitRooms.TryParseDm("dm_", out _));
        Assert.False(LiveKitRooms.TryParseDm("room_abc", out _));
        Assert.False(LiveKitRooms.TryParseDm(null, out _));
        Assert.Throws<ArgumentException>(() => LiveKitRooms.ForDm(""));
    }
}
