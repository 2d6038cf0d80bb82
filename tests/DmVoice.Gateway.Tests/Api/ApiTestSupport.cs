using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DmVoice.Gateway.Problems;

namespace DmVoice.Gateway.Tests.Api;

/// <summary>One gateway (with its co-hosted silo) shared by the tests of a class; the rate limit is out of the way.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public GatewayServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Server = await GatewayServer.StartAsync(s => s["Gateway:RequestsPerMinute"] = "1000000");

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A fresh user whose token an identity provider minted (no /dev/token round trip).</summary>
    public VoiceUser NewUser(string name) => Rest.NewUser(Server.BaseAddress, name);
}

internal static class Rest
{
    public static VoiceUser NewUser(Uri baseAddress, string name)
    {
        var id = TestIds.User(name);
        return VoiceUser.WithToken(baseAddress, id, TestTokens.Mint(id, name: name));
    }

    /// <summary>A DM id nobody created, shaped like a real one.</summary>
    public static string MissingDmId() => "gdm-" + Guid.NewGuid().ToString("N");

    public static HttpRequestMessage Request(string method, string path, string? json = null, string? token = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    public static async Task<HttpResponseMessage> SendAsync(this VoiceUser user, string method, string path, string? json = null)
    {
        using var request = Request(method, path, json);
        return await user.Http.SendAsync(request);
    }

    /// <summary>
    /// Asserts an RFC 7807 problem with the stable code, its documented status, and a trace id;
    /// returns the body.
    /// </summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(
            response.StatusCode == status,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: expected {(int)status} {code}, got {(int)response.StatusCode}: {text}");
        Assert.Equal(ErrorStatus.For(code).Status, (int)status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal($"urn:dmvoice:error:{code}", body.Str("type"));
        Assert.False(string.IsNullOrWhiteSpace(body.Str("title")));
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.Equal(code, body.Str("code"));
        Assert.False(string.IsNullOrWhiteSpace(body.Str("traceId")));
        return body;
    }

    public static async Task AssertStatusAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        if (response.StatusCode != status)
        {
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: expected {(int)status}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Everything a member can read about a DM and their own DMs, as raw JSON, to compare before/after.</summary>
    public static async Task<string> SnapshotAsync(VoiceUser member, string dmGroupId)
    {
        var parts = new List<string>();
        foreach (var path in new[] { "/dm-groups", $"/dm-groups/{dmGroupId}", $"/dm-groups/{dmGroupId}/voice-presence", $"/dm-groups/{dmGroupId}/calls", "/me/voice" })
        {
            var response = await member.Http.GetAsync(path);
            parts.Add($"{(int)response.StatusCode} {path}: {await response.Content.ReadAsStringAsync()}");
        }

        return string.Join('\n', parts);
    }
}

/// <summary>
/// A group DM (Caller owns it, Rung and Other are members) whose call Caller started, so Rung and
/// Other are being rung. Every REST endpoint has a caller for whom it succeeds here.
/// </summary>
public sealed class CallScenario : IAsyncDisposable
{
    private CallScenario(VoiceUser caller, VoiceUser rung, VoiceUser other, string dmGroupId)
    {
        Caller = caller;
        Rung = rung;
        Other = other;
        DmGroupId = dmGroupId;
    }

    public VoiceUser Caller { get; }

    public VoiceUser Rung { get; }

    public VoiceUser Other { get; }

    public string DmGroupId { get; }

    /// <summary>A valid user id that is in no DM yet.</summary>
    public string NewUserId { get; } = TestIds.User("newcomer");

    public static async Task<CallScenario> StartAsync(Uri baseAddress, bool startCall = true)
    {
        var caller = Rest.NewUser(baseAddress, "caller");
        var rung = Rest.NewUser(baseAddress, "rung");
        var other = Rest.NewUser(baseAddress, "other");
        var dm = await caller.CreateDmAsync(rung, other);
        if (startCall)
        {
            await caller.JoinAsync(dm.Id);
        }

        return new CallScenario(caller, rung, other, dm.Id);
    }

    public VoiceUser For(Actor actor) => actor == Actor.Caller ? Caller : Rung;

    /// <summary>Fills {dm}, {new} and {rung} in a path or body.</summary>
    public string Fill(string template, string? dmGroupId = null) => template
        .Replace("{dm}", dmGroupId ?? DmGroupId, StringComparison.Ordinal)
        .Replace("{new}", NewUserId, StringComparison.Ordinal)
        .Replace("{rung}", Rung.UserId, StringComparison.Ordinal);

    public Task<string> SnapshotAsync() => Rest.SnapshotAsync(Caller, DmGroupId);

    public async ValueTask DisposeAsync()
    {
        await Caller.DisposeAsync();
        await Rung.DisposeAsync();
        await Other.DisposeAsync();
    }
}

/// <summary>Who, in a <see cref="CallScenario"/>, calls an endpoint when a member is meant to succeed.</summary>
public enum Actor
{
    /// <summary>The owner, in the call.</summary>
    Caller,

    /// <summary>A member being rung, not in the call.</summary>
    Rung,
}

/// <summary>One REST endpoint with a request that succeeds for the right member of a <see cref="CallScenario"/>.</summary>
public sealed record ApiEndpoint(string Method, string Path, string? Body, Actor Actor, HttpStatusCode Success)
{
    public string Name => $"{Method} {Path}";

    /// <summary>Whether the path names a DM (and so a non-member must get dm_not_found).</summary>
    public bool IsDmScoped => Path.Contains("{dm}", StringComparison.Ordinal);

    public override string ToString() => Name;
}

/// <summary>The REST API, every endpoint once (POST /dev/token, anonymous by design, is tested apart).</summary>
public static class ApiEndpoints
{
    public static readonly IReadOnlyList<ApiEndpoint> All =
    [
        new("POST", "/dm-groups", """{"memberIds":["{new}"]}""", Actor.Caller, HttpStatusCode.Created),
        new("GET", "/dm-groups", null, Actor.Caller, HttpStatusCode.OK),
        new("GET", "/dm-groups/{dm}", null, Actor.Caller, HttpStatusCode.OK),
        new("PUT", "/dm-groups/{dm}/members/{new}", null, Actor.Caller, HttpStatusCode.OK),
        new("DELETE", "/dm-groups/{dm}/members/{rung}", null, Actor.Caller, HttpStatusCode.OK),
        new("GET", "/dm-groups/{dm}/voice-presence", null, Actor.Caller, HttpStatusCode.OK),
        new("POST", "/dm-groups/{dm}/voice-presence/join", """{"isMuted":true}""", Actor.Rung, HttpStatusCode.OK),
        new("DELETE", "/dm-groups/{dm}/voice-presence/leave", null, Actor.Caller, HttpStatusCode.NoContent),
        new("PUT", "/dm-groups/{dm}/voice-presence/state", """{"isDeafened":true}""", Actor.Caller, HttpStatusCode.OK),
        new("GET", "/me/voice", null, Actor.Caller, HttpStatusCode.OK),
        new("POST", "/dm-groups/{dm}/call/ring", null, Actor.Caller, HttpStatusCode.OK),
        new("POST", "/dm-groups/{dm}/call/decline", null, Actor.Rung, HttpStatusCode.NoContent),
        new("POST", "/dm-groups/{dm}/call/dismiss", null, Actor.Rung, HttpStatusCode.NoContent),
        new("POST", "/dm-groups/{dm}/call/stop-ringing", """{"recipientIds":["{rung}"]}""", Actor.Caller, HttpStatusCode.NoContent),
        new("GET", "/dm-groups/{dm}/calls", null, Actor.Caller, HttpStatusCode.OK),
        new("GET", "/me/missed-calls", null, Actor.Caller, HttpStatusCode.OK),
        new("GET", "/me/status", null, Actor.Caller, HttpStatusCode.OK),
        new("PUT", "/me/status", """{"status":"dnd"}""", Actor.Caller, HttpStatusCode.OK),
        new("GET", "/me/privacy", null, Actor.Caller, HttpStatusCode.OK),
        new("PUT", "/me/privacy", """{"channelInvites":"nobody"}""", Actor.Caller, HttpStatusCode.OK),
        new("GET", "/me/voice-channel-invites", null, Actor.Caller, HttpStatusCode.OK),
        new("GET", "/me/blocks", null, Actor.Caller, HttpStatusCode.OK),
        new("PUT", "/me/blocks/{new}", null, Actor.Caller, HttpStatusCode.OK),
        new("DELETE", "/me/blocks/{new}", null, Actor.Caller, HttpStatusCode.NoContent),
        new("GET", "/dm-groups/{dm}/members", null, Actor.Caller, HttpStatusCode.OK),
        new("GET", "/dm-groups/{dm}/settings", null, Actor.Rung, HttpStatusCode.OK),
        new("PUT", "/dm-groups/{dm}/settings", """{"muted":true}""", Actor.Rung, HttpStatusCode.OK),
    ];

    public static ApiEndpoint Named(string name) => All.Single(e => e.Name == name);

    /// <summary>The endpoints that take a JSON body.</summary>
    public static IEnumerable<ApiEndpoint> WithBody => All.Where(e => e.Body is not null || e.Path.EndsWith("/call/ring", StringComparison.Ordinal));

    public static TheoryData<string> Names(Func<ApiEndpoint, bool>? where = null) =>
        new(All.Where(where ?? (_ => true)).Select(e => e.Name));
}

/// <summary>A body sent without Content-Length (chunked), as a streaming client would.</summary>
internal sealed class ChunkedJsonContent : HttpContent
{
    private readonly byte[] _bytes;

    public ChunkedJsonContent(string json)
    {
        _bytes = Encoding.UTF8.GetBytes(json);
        Headers.ContentType = new MediaTypeHeaderValue("application/json");
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        for (var offset = 0; offset < _bytes.Length; offset += 4096)
        {
            await stream.WriteAsync(_bytes.AsMemory(offset, Math.Min(4096, _bytes.Length - offset)));
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
