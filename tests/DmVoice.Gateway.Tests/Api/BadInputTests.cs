using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DmVoice.Gateway.Tests.Api;

/// <summary>
/// Bad input of every kind on every endpoint: each answer is a problem with a stable code and the
/// documented status, never a 500, and nothing a member can see has changed afterwards.
/// </summary>
public sealed class BadInputTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayServer Server => fixture.Server;

    private static readonly string TooLong = new('a', Validate.MaxIdLength + 1);

    /// <summary>Ids that break the id rule: a space, 129 characters, non-ASCII letters, an emoji, an encoded slash.</summary>
    public static readonly IReadOnlyList<string> InvalidIds = ["has space", TooLong, "d\u00e9j\u00e0-vu", "call-\U0001F4DE", "a/b", "a%b"];

    /// <summary>(endpoint, body): bodies that are not JSON, or JSON of the wrong shape or types.</summary>
    public static TheoryData<string, string> MalformedBodies => new()
    {
        { "POST /dm-groups", "{" },
        { "POST /dm-groups", "not json" },
        { "POST /dm-groups", """{"memberIds":["{new}"]""" },
        { "POST /dm-groups", """{"memberIds":["{new}"],}""" },
        { "POST /dm-groups", "[]" },
        { "POST /dm-groups", "null" },
        { "POST /dm-groups", """{"memberIds":"x"}""" },
        { "POST /dm-groups", """{"memberIds":[1,2]}""" },
        { "POST /dm-groups", """{"memberIds":["{new}"],"name":5}""" },
        { "POST /dm-groups/{dm}/voice-presence/join", "{" },
        { "POST /dm-groups/{dm}/voice-presence/join", """{"isMuted":"yes"}""" },
        { "POST /dm-groups/{dm}/voice-presence/join", """{"isVideoEnabled":1}""" },
        { "PUT /dm-groups/{dm}/voice-presence/state", "{" },
        { "PUT /dm-groups/{dm}/voice-presence/state", """{"isMuted":"yes"}""" },
        { "PUT /dm-groups/{dm}/voice-presence/state", """{"isDeafened":0}""" },
        { "PUT /dm-groups/{dm}/voice-presence/state", """{"isScreenSharing":[]}""" },
        { "PUT /dm-groups/{dm}/voice-presence/state", "true" },
        { "POST /dm-groups/{dm}/call/ring", "{" },
        { "POST /dm-groups/{dm}/call/ring", """{"recipientIds":"x"}""" },
        { "POST /dm-groups/{dm}/call/stop-ringing", "{" },
        { "POST /dm-groups/{dm}/call/stop-ringing", """{"recipientIds":{"a":1}}""" },
        { "POST /dm-groups/{dm}/call/stop-ringing", "null" },
        { "PUT /me/status", "{" },
        { "PUT /me/status", """{"status":5}""" },
        { "PUT /me/status", "\"dnd\"" },
        { "PUT /dm-groups/{dm}/settings", "{" },
        { "PUT /dm-groups/{dm}/settings", """{"muted":"yes"}""" },
        { "PUT /dm-groups/{dm}/settings", """{"muted":true,"mutedUntil":"tomorrow"}""" },
        { "POST /dev/token", "{" },
        { "POST /dev/token", """{"userId":5}""" },
    };

    public static TheoryData<string> BodyEndpoints =>
        new(ApiEndpoints.WithBody.Select(e => e.Name).Append("POST /dev/token"));

    public static TheoryData<string, string> DmEndpointsWithInvalidIds
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var endpoint in ApiEndpoints.All.Where(e => e.IsDmScoped))
            {
                foreach (var id in InvalidIds)
                {
                    data.Add(endpoint.Name, id);
                }
            }

            return data;
        }
    }

    /// <summary>(endpoint, body) with an invalid id or value inside a well-formed body.</summary>
    public static TheoryData<string, string> InvalidBodies
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var id in InvalidIds.Append(string.Empty))
            {
                var json = JsonSerializer.Serialize(id);
                data.Add("POST /dm-groups", $$"""{"memberIds":[{{json}}]}""");
                data.Add("POST /dm-groups", $$"""{"memberIds":["{new}",{{json}}]}""");
                data.Add("POST /dm-groups/{dm}/call/ring", $$"""{"recipientIds":[{{json}}]}""");
                data.Add("POST /dm-groups/{dm}/call/stop-ringing", $$"""{"recipientIds":[{{json}}]}""");
                data.Add("POST /dev/token", $$"""{"userId":{{json}}}""");
            }

            data.Add("POST /dm-groups", """{"memberIds":[]}""");
            data.Add("POST /dm-groups", """{}""");
            data.Add("POST /dm-groups", """{"memberIds":["{me}"]}""");
            data.Add("POST /dm-groups", $$"""{"memberIds":["{new}"],"name":"{{new string('n', Validate.MaxNameLength + 1)}}"}""");
            data.Add("POST /dm-groups", """{"memberIds":["{new}"],"name":"bell\u0007"}""");
            data.Add("POST /dm-groups/{dm}/call/stop-ringing", """{"recipientIds":[]}""");
            data.Add("POST /dm-groups/{dm}/call/stop-ringing", """{}""");
            data.Add("PUT /dm-groups/{dm}/voice-presence/state", """{}""");
            data.Add("PUT /dm-groups/{dm}/voice-presence/state", """{"isMuted":null}""");
            data.Add("PUT /dm-groups/{dm}/voice-presence/state", """{"unknown":true}""");
            data.Add("PUT /me/status", """{}""");
            data.Add("PUT /me/status", """{"status":"offline"}""");
            data.Add("PUT /me/status", """{"status":"DND"}""");
            data.Add("PUT /me/status", """{"status":""}""");
            data.Add("PUT /dm-groups/{dm}/settings", """{}""");
            data.Add("PUT /dm-groups/{dm}/settings", """{"muted":false,"mutedUntil":"2099-01-01T00:00:00Z"}""");
            data.Add("PUT /dm-groups/{dm}/settings", """{"muted":true,"mutedUntil":"2001-01-01T00:00:00Z"}""");
            data.Add("PUT /dm-groups/{dm}/settings", """{"muted":true,"mutedUntil":"2999-01-01T00:00:00Z"}""");
            data.Add("POST /dev/token", """{}""");
            data.Add("POST /dev/token", $$"""{"userId":"ok","displayName":"{{new string('n', Validate.MaxNameLength + 1)}}"}""");
            return data;
        }
    }

    private static HttpMethod MethodOf(string name) => new(name[..name.IndexOf(' ', StringComparison.Ordinal)]);

    private static string PathOf(string name) => name[(name.IndexOf(' ', StringComparison.Ordinal) + 1)..];

    /// <summary>The member who would succeed with a good body (the endpoint table's actor; /dev/token is anonymous).</summary>
    private static VoiceUser? ActorFor(string name, CallScenario scenario) =>
        name == "POST /dev/token" ? null : scenario.For(ApiEndpoints.Named(name).Actor);

    private async Task<HttpResponseMessage> SendAsync(string name, CallScenario scenario, HttpContent content, string? dmGroupId = null)
    {
        using var request = new HttpRequestMessage(MethodOf(name), scenario.Fill(PathOf(name), dmGroupId)) { Content = content };
        if (ActorFor(name, scenario) is { } actor)
        {
            return await actor.Http.SendAsync(request);
        }

        using var anonymous = new HttpClient { BaseAddress = Server.BaseAddress };
        return await anonymous.SendAsync(request);
    }

    private static string FillBody(string body, CallScenario scenario, string name) =>
        scenario.Fill(body).Replace("{me}", ActorFor(name, scenario)?.UserId ?? string.Empty, StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Malformed_or_mistyped_json_is_400_malformed_request_and_changes_nothing(string name, string body)
    {
        await using var scenario = await CallScenario.StartAsync(Server.BaseAddress);
        var before = await scenario.SnapshotAsync();

        var response = await SendAsync(name, scenario, new StringContent(FillBody(body, scenario, name), System.Text.Encoding.UTF8, "application/json"));

        await Rest.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest);
        Assert.Equal(before, await scenario.SnapshotAsync());
    }

    /// <summary>A JSON object with the members of <paramref name="json"/> and a padding member of the given length.</summary>
    private static string Padded(string json, int padding)
    {
        var rest = json.Trim()[1..].TrimStart();
        return "{\"padding\":\"" + new string('x', padding) + "\"" + (rest == "}" ? "}" : "," + rest);
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task A_body_over_16_KiB_is_413_payload_too_large_whether_sized_or_chunked(string name)
    {
        await using var scenario = await CallScenario.StartAsync(Server.BaseAddress);
        var before = await scenario.SnapshotAsync();
        // Valid JSON that would succeed but for its size: unknown members are skipped by the binder.
        var padding = new string('x', (16 * 1024) + 1);
        var endpoint = name == "POST /dev/token" ? null : ApiEndpoints.Named(name);
        var valid = endpoint?.Body is { } b ? scenario.Fill(b) : name == "POST /dev/token" ? """{"userId":"padded"}""" : "{}";
        var json = Padded(valid, padding.Length);

        var sized = await SendAsync(name, scenario, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        await Rest.AssertProblemAsync(sized, HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge);

        var chunked = await SendAsync(name, scenario, new ChunkedJsonContent(json));
        await Rest.AssertProblemAsync(chunked, HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge);

        Assert.Equal(before, await scenario.SnapshotAsync());

        // Just under the limit is accepted.
        var fits = Padded(valid, 15 * 1024);
        var ok = await SendAsync(name, scenario, new StringContent(fits, System.Text.Encoding.UTF8, "application/json"));
        Assert.True(ok.IsSuccessStatusCode, $"{name} with a 15 KiB body: {(int)ok.StatusCode} {await ok.Content.ReadAsStringAsync()}");
    }

    [Theory]
    [MemberData(nameof(DmEndpointsWithInvalidIds))]
    public async Task An_invalid_DM_id_in_the_path_is_422_validation_failed(string name, string invalidId)
    {
        await using var scenario = await CallScenario.StartAsync(Server.BaseAddress);
        var before = await scenario.SnapshotAsync();
        var endpoint = ApiEndpoints.Named(name);
        var actor = scenario.For(endpoint.Actor);
        var escaped = Uri.EscapeDataString(invalidId);

        var response = await actor.SendAsync(endpoint.Method, scenario.Fill(endpoint.Path, escaped), endpoint.Body is null ? null : scenario.Fill(endpoint.Body));

        var problem = await Rest.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);
        Assert.Contains("dmGroupId", problem.Str("detail"), StringComparison.Ordinal);
        Assert.Equal(before, await scenario.SnapshotAsync());
    }

    [Fact]
    public async Task A_128_character_DM_id_is_valid_and_simply_not_found()
    {
        await using var user = fixture.NewUser("boundary");
        var response = await user.Http.GetAsync($"/dm-groups/{new string('a', Validate.MaxIdLength)}");
        await Rest.AssertProblemAsync(response, HttpStatusCode.NotFound, ErrorCodes.DmNotFound);
    }

    public static TheoryData<string, string> MemberEndpointsWithInvalidUserIds
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var id in InvalidIds)
            {
                data.Add("PUT", id);
                data.Add("DELETE", id);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(MemberEndpointsWithInvalidUserIds))]
    public async Task An_invalid_user_id_in_the_members_path_is_422_validation_failed(string method, string invalidId)
    {
        await using var scenario = await CallScenario.StartAsync(Server.BaseAddress);
        var before = await scenario.SnapshotAsync();

        var response = await scenario.Caller.SendAsync(method, $"/dm-groups/{scenario.DmGroupId}/members/{Uri.EscapeDataString(invalidId)}");

        await Rest.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);
        Assert.Equal(before, await scenario.SnapshotAsync());
    }

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_values_in_a_well_formed_body_are_422_validation_failed(string name, string body)
    {
        await using var scenario = await CallScenario.StartAsync(Server.BaseAddress);
        var before = await scenario.SnapshotAsync();

        var response = await SendAsync(name, scenario, new StringContent(FillBody(body, scenario, name), System.Text.Encoding.UTF8, "application/json"));

        await Rest.AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);
        Assert.Equal(before, await scenario.SnapshotAsync());
    }

    public static TheoryData<string, HttpStatusCode, string> BadQueries => new()
    {
        { "/dm-groups/{dm}/calls?limit=0", HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed },
        { "/dm-groups/{dm}/calls?limit=101", HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed },
        { "/dm-groups/{dm}/calls?limit=-1", HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed },
        { "/dm-groups/{dm}/calls?limit=abc", HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest },
        { "/dm-groups/{dm}/calls?limit=1.5", HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest },
        { "/dm-groups/{dm}/calls?limit=99999999999", HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest },
        { "/dm-groups/{dm}/calls?before=yesterday", HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest },
        { "/dm-groups/{dm}/calls?before=2025-13-45T99:00:00Z", HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest },
        { "/me/missed-calls?limit=0", HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed },
        { "/me/missed-calls?limit=101", HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed },
        { "/me/missed-calls?limit=ten", HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest },
        { "/me/missed-calls?since=last-week", HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest },
        { "/me/missed-calls?since=1700000000", HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest },
        { "/dm-groups?limit=0", HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed },
        { "/dm-groups?limit=101", HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed },
        { "/dm-groups?limit=many", HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest },
        { "/dm-groups?cursor=not-a-cursor", HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest },
        { "/dm-groups?cursor=MTo5OTk5OTk5OTk5OTk5OTk5OTk5OTp4", HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest },
        { "/dm-groups?cursor=", HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task Out_of_range_or_unparseable_query_values_are_rejected(string path, HttpStatusCode status, string code)
    {
        await using var scenario = await CallScenario.StartAsync(Server.BaseAddress);
        var response = await scenario.Caller.Http.GetAsync(scenario.Fill(path));
        await Rest.AssertProblemAsync(response, status, code);
    }

    [Theory]
    [InlineData("/dm-groups/{dm}/calls?limit=1")]
    [InlineData("/dm-groups/{dm}/calls?limit=100")]
    [InlineData("/dm-groups/{dm}/calls?limit=5&before=2030-01-01T00:00:00Z")]
    [InlineData("/dm-groups/{dm}/calls?before=2030-01-01T00%3A00%3A00%2B02%3A00")]
    [InlineData("/me/missed-calls?limit=1&since=2020-01-01T00:00:00Z")]
    [InlineData("/me/missed-calls?limit=100")]
    [InlineData("/dm-groups?limit=1")]
    [InlineData("/dm-groups?limit=100")]
    public async Task Query_values_at_the_edges_of_their_range_are_accepted(string path)
    {
        await using var scenario = await CallScenario.StartAsync(Server.BaseAddress);
        var response = await scenario.Caller.Http.GetAsync(scenario.Fill(path));
        await Rest.AssertStatusAsync(response, HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_DM_with_more_than_ten_members_is_409_dm_full_at_creation_and_when_adding()
    {
        await using var owner = fixture.NewUser("owner");
        var nine = Enumerable.Range(0, 9).Select(i => TestIds.User($"m{i}")).ToArray();
        var ten = nine.Append(TestIds.User("m9")).ToArray();
        var before = await owner.Http.GetStringAsync("/dm-groups");

        var tooMany = await owner.Http.PostAsJsonAsync("/dm-groups", new { memberIds = ten });
        await Rest.AssertProblemAsync(tooMany, HttpStatusCode.Conflict, ErrorCodes.DmFull);
        var farTooMany = await owner.Http.PostAsJsonAsync("/dm-groups", new { memberIds = Enumerable.Range(0, 50).Select(i => $"u{i}").ToArray() });
        await Rest.AssertProblemAsync(farTooMany, HttpStatusCode.Conflict, ErrorCodes.DmFull);
        Assert.Equal(before, await owner.Http.GetStringAsync("/dm-groups"));

        // Ten in all is the limit: it is created, and an eleventh cannot be added.
        var full = await owner.Http.PostAsJsonAsync("/dm-groups", new { memberIds = nine });
        await Rest.AssertStatusAsync(full, HttpStatusCode.Created);
        var dm = (await full.Content.ReadFromJsonAsync<DmGroup>(VoiceUser.Json))!;
        Assert.Equal(10, dm.MemberIds.Count);
        var snapshot = await Rest.SnapshotAsync(owner, dm.Id);
        var eleventh = await owner.Http.PutAsync($"/dm-groups/{dm.Id}/members/{TestIds.User("late")}", null);
        await Rest.AssertProblemAsync(eleventh, HttpStatusCode.Conflict, ErrorCodes.DmFull);
        Assert.Equal(snapshot, await Rest.SnapshotAsync(owner, dm.Id));

        // Adding someone already in it is not an addition.
        var again = await owner.Http.PutAsync($"/dm-groups/{dm.Id}/members/{nine[0]}", null);
        await Rest.AssertStatusAsync(again, HttpStatusCode.OK);
    }

    [Fact]
    public async Task Members_of_a_1_to_1_DM_cannot_be_added_or_removed_409_not_group_dm()
    {
        await using var a = fixture.NewUser("a");
        await using var b = fixture.NewUser("b");
        var dm = await a.CreateDmAsync(b);
        var before = await Rest.SnapshotAsync(a, dm.Id);

        await Rest.AssertProblemAsync(await a.Http.PutAsync($"/dm-groups/{dm.Id}/members/{TestIds.User("c")}", null), HttpStatusCode.Conflict, ErrorCodes.NotGroupDm);
        await Rest.AssertProblemAsync(await b.Http.DeleteAsync($"/dm-groups/{dm.Id}/members/{a.UserId}"), HttpStatusCode.Conflict, ErrorCodes.NotGroupDm);
        await Rest.AssertProblemAsync(await a.Http.DeleteAsync($"/dm-groups/{dm.Id}/members/{a.UserId}"), HttpStatusCode.Conflict, ErrorCodes.NotGroupDm);

        Assert.Equal(before, await Rest.SnapshotAsync(a, dm.Id));
    }

    [Fact]
    public async Task Only_the_owner_removes_others_403_forbidden_and_unknown_members_are_404_member_not_found()
    {
        await using var scenario = await CallScenario.StartAsync(Server.BaseAddress);
        var before = await scenario.SnapshotAsync();

        await Rest.AssertProblemAsync(
            await scenario.Rung.Http.DeleteAsync($"/dm-groups/{scenario.DmGroupId}/members/{scenario.Other.UserId}"), HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await Rest.AssertProblemAsync(
            await scenario.Rung.Http.DeleteAsync($"/dm-groups/{scenario.DmGroupId}/members/{scenario.Caller.UserId}"), HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await Rest.AssertProblemAsync(
            await scenario.Caller.Http.DeleteAsync($"/dm-groups/{scenario.DmGroupId}/members/{TestIds.User("ghost")}"), HttpStatusCode.NotFound, ErrorCodes.MemberNotFound);

        Assert.Equal(before, await scenario.SnapshotAsync());
    }

    [Fact]
    public async Task Call_actions_out_of_turn_are_409_with_their_own_code_and_change_nothing()
    {
        // No call yet.
        await using var idle = await CallScenario.StartAsync(Server.BaseAddress, startCall: false);
        var idleBefore = await idle.SnapshotAsync();
        var dm = idle.DmGroupId;
        await Rest.AssertProblemAsync(await idle.Caller.Http.PostAsync($"/dm-groups/{dm}/call/ring", null), HttpStatusCode.Conflict, ErrorCodes.NoActiveCall);
        await Rest.AssertProblemAsync(await idle.Caller.Http.DeleteAsync($"/dm-groups/{dm}/voice-presence/leave"), HttpStatusCode.Conflict, ErrorCodes.NotInCall);
        await Rest.AssertProblemAsync(await idle.Caller.Http.PutAsJsonAsync($"/dm-groups/{dm}/voice-presence/state", new { isMuted = true }), HttpStatusCode.Conflict, ErrorCodes.NotInCall);
        await Rest.AssertProblemAsync(await idle.Rung.Http.PostAsync($"/dm-groups/{dm}/call/decline", null), HttpStatusCode.Conflict, ErrorCodes.NotRinging);
        await Rest.AssertProblemAsync(await idle.Rung.Http.PostAsync($"/dm-groups/{dm}/call/dismiss", null), HttpStatusCode.Conflict, ErrorCodes.NotRinging);
        await Rest.AssertProblemAsync(
            await idle.Caller.Http.PostAsJsonAsync($"/dm-groups/{dm}/call/stop-ringing", new { recipientIds = new[] { idle.Rung.UserId } }), HttpStatusCode.Conflict, ErrorCodes.NotInCall);
        Assert.Equal(idleBefore, await idle.SnapshotAsync());

        // A live call: the rung member is not in it, the caller is not being rung.
        await using var live = await CallScenario.StartAsync(Server.BaseAddress);
        var liveBefore = await live.SnapshotAsync();
        dm = live.DmGroupId;
        await Rest.AssertProblemAsync(await live.Rung.Http.DeleteAsync($"/dm-groups/{dm}/voice-presence/leave"), HttpStatusCode.Conflict, ErrorCodes.NotInCall);
        await Rest.AssertProblemAsync(await live.Rung.Http.PutAsJsonAsync($"/dm-groups/{dm}/voice-presence/state", new { isMuted = true }), HttpStatusCode.Conflict, ErrorCodes.NotInCall);
        await Rest.AssertProblemAsync(await live.Rung.Http.PostAsync($"/dm-groups/{dm}/call/ring", null), HttpStatusCode.Conflict, ErrorCodes.NotInCall);
        await Rest.AssertProblemAsync(
            await live.Rung.Http.PostAsJsonAsync($"/dm-groups/{dm}/call/stop-ringing", new { recipientIds = new[] { live.Other.UserId } }), HttpStatusCode.Conflict, ErrorCodes.NotInCall);
        await Rest.AssertProblemAsync(await live.Caller.Http.PostAsync($"/dm-groups/{dm}/call/decline", null), HttpStatusCode.Conflict, ErrorCodes.NotRinging);
        await Rest.AssertProblemAsync(await live.Caller.Http.PostAsync($"/dm-groups/{dm}/call/dismiss", null), HttpStatusCode.Conflict, ErrorCodes.NotRinging);
        await Rest.AssertProblemAsync(
            await live.Caller.Http.PostAsJsonAsync($"/dm-groups/{dm}/call/ring", new { recipientIds = new[] { TestIds.User("outsider") } }), HttpStatusCode.NotFound, ErrorCodes.MemberNotFound);
        Assert.Equal(liveBefore, await live.SnapshotAsync());
    }

    [Fact]
    public async Task A_refused_join_does_not_cost_the_current_call()
    {
        await using var scenario = await CallScenario.StartAsync(Server.BaseAddress);
        var before = await scenario.SnapshotAsync();

        await Rest.AssertProblemAsync(
            await scenario.Caller.Http.PostAsJsonAsync($"/dm-groups/{Rest.MissingDmId()}/voice-presence/join", new { }), HttpStatusCode.NotFound, ErrorCodes.DmNotFound);
        await Rest.AssertProblemAsync(
            await scenario.Caller.Http.PostAsJsonAsync("/dm-groups/bad%20id/voice-presence/join", new { }), HttpStatusCode.UnprocessableEntity, ErrorCodes.ValidationFailed);

        Assert.Equal(before, await scenario.SnapshotAsync());
    }

    [Theory]
    [InlineData("PATCH", "/dm-groups")]
    [InlineData("DELETE", "/me/voice")]
    [InlineData("GET", "/dm-groups/x/members/y")]
    [InlineData("POST", "/me/status")]
    [InlineData("GET", "/me/blocks/x")]
    [InlineData("GET", "/nowhere")]
    [InlineData("GET", "/nowhere.json")]
    [InlineData("POST", "/dm-groups//voice-presence/join")]
    public async Task Unknown_routes_and_methods_are_404_not_found_problems(string method, string path)
    {
        await using var user = fixture.NewUser("lost");
        await Rest.AssertProblemAsync(await user.SendAsync(method, path), HttpStatusCode.NotFound, ErrorCodes.NotFound);
    }

    [Fact]
    public async Task A_body_that_is_not_sent_as_json_is_400_malformed_request()
    {
        await using var a = fixture.NewUser("a");
        using var form = new StringContent("memberIds=x", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        await Rest.AssertProblemAsync(await a.Http.PostAsync("/dm-groups", form), HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest);
        using var text = new StringContent("""{"memberIds":["x"]}""", System.Text.Encoding.UTF8, "text/plain");
        await Rest.AssertProblemAsync(await a.Http.PostAsync("/dm-groups", text), HttpStatusCode.BadRequest, ErrorCodes.MalformedRequest);
        Assert.Empty((await a.ListDmsAsync()).DmGroups);
    }
}
