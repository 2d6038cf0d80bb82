using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace DmVoice.Gateway.Tests.Api;

/// <summary>
/// Every REST endpoint against every kind of caller: a member succeeds, a non-member cannot tell
/// the DM exists, and a caller without a valid token gets a 401 problem. Plus the hub's door.
/// </summary>
public sealed class AuthorizationMatrixTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayServer Server => fixture.Server;

    public static TheoryData<string> AllEndpoints => ApiEndpoints.Names();

    public static TheoryData<string> DmEndpoints => ApiEndpoints.Names(e => e.IsDmScoped);

    /// <summary>Ways to not have a valid token.</summary>
    public static readonly IReadOnlyList<string> BadCredentials =
        ["none", "wrong-key", "expired", "invalid-sub", "missing-sub", "wrong-audience", "wrong-issuer", "garbage", "basic-scheme"];

    public static TheoryData<string, string> EndpointsWithoutValidToken
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var endpoint in ApiEndpoints.All)
            {
                foreach (var credential in BadCredentials)
                {
                    data.Add(endpoint.Name, credential);
                }
            }

            return data;
        }
    }

    /// <summary>The Authorization header value for a bad credential (null: none at all).</summary>
    private static string? AuthorizationFor(string credential, string userId) => credential switch
    {
        "none" => null,
        "wrong-key" => "Bearer " + TestTokens.Mint(userId, key: TestTokens.WrongKey),
        "expired" => "Bearer " + TestTokens.Mint(userId, expires: DateTime.UtcNow.AddMinutes(-5)),
        "invalid-sub" => "Bearer " + TestTokens.Mint("not a valid id!"),
        "missing-sub" => "Bearer " + TestTokens.Mint(null, name: "nobody"),
        "wrong-audience" => "Bearer " + TestTokens.Mint(userId, audience: "someone-else"),
        "wrong-issuer" => "Bearer " + TestTokens.Mint(userId, issuer: "evil"),
        "garbage" => "Bearer abc.def.ghi",
        "basic-scheme" => "Basic " + Convert.ToBase64String("user:pass"u8.ToArray()),
        _ => throw new ArgumentOutOfRangeException(nameof(credential)),
    };

    [Theory]
    [MemberData(nameof(AllEndpoints))]
    public async Task A_member_gets_the_documented_success(string name)
    {
        var endpoint = ApiEndpoints.Named(name);
        await using var scenario = await CallScenario.StartAsync(Server.BaseAddress);
        var actor = scenario.For(endpoint.Actor);

        var response = await actor.SendAsync(endpoint.Method, scenario.Fill(endpoint.Path), endpoint.Body is null ? null : scenario.Fill(endpoint.Body));

        await Rest.AssertStatusAsync(response, endpoint.Success);
        if (endpoint.Success != HttpStatusCode.NoContent)
        {
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Theory]
    [MemberData(nameof(DmEndpoints))]
    public async Task A_non_member_gets_dm_not_found_and_cannot_tell_an_existing_DM_from_a_missing_one(string name)
    {
        var endpoint = ApiEndpoints.Named(name);
        await using var scenario = await CallScenario.StartAsync(Server.BaseAddress);
        await using var stranger = fixture.NewUser("stranger");
        var before = await scenario.SnapshotAsync();
        var missing = Rest.MissingDmId();

        var existing = await Rest.AssertProblemAsync(
            await stranger.SendAsync(endpoint.Method, scenario.Fill(endpoint.Path), endpoint.Body is null ? null : scenario.Fill(endpoint.Body)),
            HttpStatusCode.NotFound,
            ErrorCodes.DmNotFound);
        var absent = await Rest.AssertProblemAsync(
            await stranger.SendAsync(endpoint.Method, scenario.Fill(endpoint.Path, missing), endpoint.Body is null ? null : scenario.Fill(endpoint.Body, missing)),
            HttpStatusCode.NotFound,
            ErrorCodes.DmNotFound);

        // Same answer, word for word once the id each asked about is taken out.
        foreach (var field in new[] { "type", "title", "status", "code" })
        {
            Assert.Equal(existing.GetProperty(field).ToString(), absent.GetProperty(field).ToString());
        }

        Assert.Equal(
            existing.Str("detail").Replace(scenario.DmGroupId, "ID", StringComparison.Ordinal),
            absent.Str("detail").Replace(missing, "ID", StringComparison.Ordinal));
        Assert.Equal(before, await scenario.SnapshotAsync());
    }

    [Fact]
    public async Task A_non_members_own_lists_never_show_someone_elses_DM_or_call()
    {
        await using var scenario = await CallScenario.StartAsync(Server.BaseAddress);
        await using var stranger = fixture.NewUser("stranger");

        var dms = await stranger.ListDmsAsync();
        Assert.Empty(dms.DmGroups);
        Assert.Null(dms.NextCursor);
        var voice = await stranger.Http.GetFromJsonAsync<MyVoiceOverview>("/me/voice", VoiceUser.Json);
        Assert.Null(voice!.ActiveCall);
        Assert.Empty(voice.LiveCalls);
        var missed = await stranger.Http.GetFromJsonAsync<JsonElement>("/me/missed-calls");
        Assert.Equal(0, missed.GetProperty("calls").GetArrayLength());

        // Creating a DM with a member makes the stranger's own DM, never joins the existing group.
        var created = await stranger.Http.PostAsJsonAsync("/dm-groups", new { memberIds = new[] { scenario.Caller.UserId } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var dm = await created.Content.ReadFromJsonAsync<DmGroup>(VoiceUser.Json);
        Assert.NotEqual(scenario.DmGroupId, dm!.Id);
        Assert.Equal(new[] { scenario.Caller.UserId, scenario.Other.UserId, scenario.Rung.UserId }.Order(), (await scenario.Caller.Http.GetFromJsonAsync<DmGroup>($"/dm-groups/{scenario.DmGroupId}", VoiceUser.Json))!.MemberIds.Order());
    }

    [Theory]
    [MemberData(nameof(EndpointsWithoutValidToken))]
    public async Task Without_a_valid_token_every_endpoint_is_401_unauthorized(string name, string credential)
    {
        var endpoint = ApiEndpoints.Named(name);
        await using var scenario = await CallScenario.StartAsync(Server.BaseAddress);
        var before = await scenario.SnapshotAsync();
        var actor = scenario.For(endpoint.Actor);

        using var anonymous = new HttpClient { BaseAddress = Server.BaseAddress };
        using var request = Rest.Request(endpoint.Method, scenario.Fill(endpoint.Path), endpoint.Body is null ? null : scenario.Fill(endpoint.Body));
        if (AuthorizationFor(credential, actor.UserId) is { } authorization)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        var body = await Rest.AssertProblemAsync(await anonymous.SendAsync(request), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        Assert.DoesNotContain(scenario.DmGroupId, body.Str("detail"), StringComparison.Ordinal);
        Assert.Equal(before, await scenario.SnapshotAsync());
    }

    [Fact]
    public async Task A_valid_token_on_the_query_string_is_only_honoured_by_the_hub()
    {
        await using var user = fixture.NewUser("query");
        using var anonymous = new HttpClient { BaseAddress = Server.BaseAddress };

        var response = await anonymous.GetAsync($"/dm-groups?access_token={Uri.EscapeDataString(user.Token)}");

        await Rest.AssertProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }

    public static TheoryData<string> HubCredentials => new(BadCredentials.Where(c => c != "basic-scheme"));

    [Theory]
    [MemberData(nameof(HubCredentials))]
    public async Task The_hub_refuses_a_connection_without_a_valid_token(string credential)
    {
        var token = AuthorizationFor(credential, TestIds.User("hub"))?["Bearer ".Length..];
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(Server.BaseAddress, "/hubs/voice"), o =>
            {
                if (token is not null)
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                }
            })
            .Build();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
    }

    [Theory]
    [MemberData(nameof(HubCredentials))]
    public async Task The_hub_refuses_a_websocket_that_skips_negotiation_without_a_valid_token(string credential)
    {
        var token = AuthorizationFor(credential, TestIds.User("hub"))?["Bearer ".Length..];
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(Server.BaseAddress, "/hubs/voice"), o =>
            {
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
                if (token is not null)
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                }
            })
            .Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => connection.StartAsync());

        Assert.Contains("401", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
    }

    [Fact]
    public async Task The_hub_negotiates_only_with_a_token_passed_as_access_token()
    {
        await using var user = fixture.NewUser("negotiator");
        using var anonymous = new HttpClient { BaseAddress = Server.BaseAddress };

        var refused = await anonymous.PostAsync("/hubs/voice/negotiate?negotiateVersion=1", null);
        await Rest.AssertProblemAsync(refused, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        var expired = TestTokens.Mint(user.UserId, expires: DateTime.UtcNow.AddMinutes(-5));
        var refusedExpired = await anonymous.PostAsync($"/hubs/voice/negotiate?negotiateVersion=1&access_token={Uri.EscapeDataString(expired)}", null);
        await Rest.AssertProblemAsync(refusedExpired, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);

        var accepted = await anonymous.PostAsync($"/hubs/voice/negotiate?negotiateVersion=1&access_token={Uri.EscapeDataString(user.Token)}", null);
        await Rest.AssertStatusAsync(accepted, HttpStatusCode.OK);
        var negotiation = await accepted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(string.IsNullOrEmpty(negotiation.Str("connectionToken")));

        // And a real client with the same token connects and syncs.
        var device = await user.ConnectAsync();
        Assert.NotNull(device.Synced);
    }

    [Fact]
    public async Task A_browser_style_websocket_is_accepted_only_with_a_valid_access_token_on_the_query_string()
    {
        await using var user = fixture.NewUser("socket");
        var hub = new UriBuilder(new Uri(Server.BaseAddress, "/hubs/voice")) { Scheme = "ws" };
        string[] refusedTokens =
        [
            string.Empty,
            "garbage",
            TestTokens.Mint(user.UserId, key: TestTokens.WrongKey),
            TestTokens.Mint(user.UserId, expires: DateTime.UtcNow.AddMinutes(-5)),
            TestTokens.Mint("bad sub"),
        ];
        foreach (var token in refusedTokens)
        {
            using var refused = new ClientWebSocket();
            refused.Options.CollectHttpResponseDetails = true;
            hub.Query = token.Length == 0 ? string.Empty : "access_token=" + Uri.EscapeDataString(token);
            await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(hub.Uri, TestContext.Current.CancellationToken));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.HttpStatusCode);
        }

        using var accepted = new ClientWebSocket();
        hub.Query = "access_token=" + Uri.EscapeDataString(user.Token);
        await accepted.ConnectAsync(hub.Uri, TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketState.Open, accepted.State);
        await accepted.CloseAsync(WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken);
    }
}
