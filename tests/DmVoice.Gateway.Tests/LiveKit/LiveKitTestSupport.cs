using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DmVoice.Gateway.Problems;
using DmVoice.LiveKit;
using DmVoice.TestSupport.LiveKit;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Gateway.Tests.LiveKit;

/// <summary>The real gateway (co-hosting its silo) wired to a <see cref="FakeLiveKitServer"/>.</summary>
public class LiveKitGatewayFixture : IAsyncLifetime
{
    public FakeLiveKitServer LiveKit { get; private set; } = null!;

    public GatewayServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        LiveKit = await FakeLiveKitServer.StartAsync();
        Server = await GatewayServer.StartAsync(settings =>
        {
            settings["LiveKit:Url"] = LiveKit.Url.ToString();
            settings["LiveKit:ApiKey"] = LiveKit.ApiKey;
            settings["LiveKit:ApiSecret"] = LiveKit.ApiSecret;
            settings["Gateway:RequestsPerMinute"] = "1000000";
            Configure(settings);
        }, services: ConfigureServices);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await LiveKit.DisposeAsync();
    }

    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }
}

/// <summary>Grain calls can be made to fail on demand (<see cref="GrainFaults"/>), as a bug in a grain would.</summary>
public sealed class FaultyLiveKitGatewayFixture : LiveKitGatewayFixture
{
    public GrainFaults Faults { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<Orleans.IIncomingGrainCallFilter>(Faults);
}

/// <summary>Retries fast, so retry tests do not wait out production backoffs.</summary>
public sealed class FastRetryLiveKitGatewayFixture : LiveKitGatewayFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["LiveKit:CommandRetryDelay"] = "00:00:00.050";
        settings["LiveKit:CommandRetryMaxDelay"] = "00:00:00.200";
    }
}

/// <summary>A sweep that runs every 200 ms and gives 500 ms to connect media.</summary>
public sealed class FastSweepLiveKitGatewayFixture : LiveKitGatewayFixture
{
    public static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan AbsenceGrace = TimeSpan.FromMilliseconds(500);

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["LiveKit:SweepInterval"] = SweepInterval.ToString();
        settings["LiveKit:AbsenceGrace"] = AbsenceGrace.ToString();
    }
}

internal static class LiveKitHttp
{
    /// <summary>POSTs a webhook the way LiveKit does; every part can be spoiled for negative tests.</summary>
    public static async Task<HttpResponseMessage> PostWebhookAsync(
        this GatewayServer server,
        FakeLiveKitWebhook webhook,
        byte[]? body = null,
        string? authorization = null,
        bool omitAuthorization = false,
        string contentType = "application/webhook+json")
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/livekit/webhook")
        {
            Content = new ByteArrayContent(body ?? webhook.Body),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (!omitAuthorization)
        {
            // Raw JWT, no scheme: exactly what LiveKit sends (HttpClient would otherwise insist on a scheme).
            request.Headers.TryAddWithoutValidation("Authorization", authorization ?? webhook.Authorization);
        }

        return await http.SendAsync(request);
    }

    /// <summary>Posts a webhook that must be accepted; returns its result ("applied", "ignored", "duplicate").</summary>
    public static async Task<string> DeliverAsync(this GatewayServer server, FakeLiveKitWebhook webhook)
    {
        var response = await server.PostWebhookAsync(webhook);
        await VoiceUser.EnsureSuccessAsync(response);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.Str("result");
    }

    public static Task<HttpResponseMessage> RequestTokenAsync(this VoiceUser user, object body) =>
        user.Http.PostAsJsonAsync("/livekit/dm-token", body);

    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status} {code}, got {(int)response.StatusCode}: {text}");
        Assert.Equal(ErrorStatus.For(code).Status, (int)status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal(code, problem.Str("code"));
        return problem;
    }

    public static string Room(string dmGroupId) => LiveKitRooms.ForDm(dmGroupId);

    public static async Task<bool> InCallAsync(VoiceUser viewer, string dmGroupId, VoiceUser user) =>
        (await viewer.PresenceAsync(dmGroupId)).Participants.Any(p => p.UserId == user.UserId);
}
